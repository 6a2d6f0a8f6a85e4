from django.urls import path

from . import views

urlpatterns = [
    path("settings/tokens/", views.token_list, name="api-tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
]
