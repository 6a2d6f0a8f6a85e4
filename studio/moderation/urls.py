from django.urls import path

from . import views

urlpatterns = [
    path("generations/<int:generation_id>/appeal/", views.appeal, name="generation-appeal"),
]
