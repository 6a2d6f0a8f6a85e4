from django.urls import path

from . import views

urlpatterns = [
    path("", views.studio, name="studio"),
    path("gallery/poll/", views.gallery_poll, name="gallery-poll"),
    path("teams/<slug:slug>/", views.team_gallery, name="team-gallery"),
    path("generations/", views.create, name="generation-create"),
    path("generations/<int:generation_id>/", views.detail, name="generation-detail"),
    path(
        "generations/<int:generation_id>/favourite/",
        views.favourite,
        name="generation-favourite",
    ),
    path("generations/<int:generation_id>/retry/", views.retry, name="generation-retry"),
    path("generations/<int:generation_id>/delete/", views.delete, name="generation-delete"),
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
    path(
        "generations/<int:generation_id>/inputs/<int:input_id>/",
        views.input_file,
        name="input-file",
    ),
]
