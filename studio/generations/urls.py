from django.urls import path

from . import views

urlpatterns = [
    path("", views.studio, name="studio"),
    path("generations/", views.create, name="generation-create"),
    path("generations/<int:generation_id>/", views.detail, name="generation-detail"),
    path(
        "generations/<int:generation_id>/outputs/<int:position>/",
        views.output_file,
        name="output-file",
    ),
    path(
        "generations/<int:generation_id>/outputs/<int:position>/thumb/",
        views.output_thumbnail,
        name="output-thumbnail",
    ),
]
