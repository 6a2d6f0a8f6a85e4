from django.urls import path

from studio.generations.api_object import signed_output

from . import views
from .api import api

urlpatterns = [
    path("settings/tokens/", views.token_list, name="api-tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
    # The API's output URLs: signed and expiring, answered without a sign-in (DESIGN.md).
    path("files/signed/<str:value>/", signed_output, name="signed-output"),
    path("api/v1/", api.urls),
]
