from django.urls import include, path

from . import parameter_views, search_views, views

# Everything about one generation, under /generations/<id>/.
one_generation = [
    path("", views.detail, name="generation-detail"),
    path("favourite/", views.favourite, name="generation-favourite"),
    path("share/", views.share, name="generation-share"),
    path("retry/", views.retry, name="generation-retry"),
    path("delete/", views.delete, name="generation-delete"),
    path("appeal/", views.appeal, name="generation-appeal"),
    path("parameters/", parameter_views.generation_parameters, name="generation-parameters"),
    path("outputs/<int:position>/", views.output_file, name="output-file"),
    path("outputs/<int:position>/thumb/", views.output_thumbnail, name="output-thumbnail"),
    path("outputs/<int:position>/reference/", views.use_as_reference, name="output-reference"),
    path("inputs/<int:input_id>/", views.input_file, name="input-file"),
]

urlpatterns = [
    path("", views.studio, name="studio"),
    path("gallery/poll/", views.gallery_poll, name="gallery-poll"),
    path("teams/<slug:slug>/", views.team_gallery, name="team-gallery"),
    path("generations/", views.create, name="generation-create"),
    path("generations/bulk/", views.bulk_action, name="generations-bulk"),
    path("generations/prompts/", views.prompt_history, name="prompt-history"),
    path("generations/recall/", parameter_views.recall, name="generation-recall"),
    path("searches/", search_views.save_search, name="saved-searches"),
    path(
        "searches/<int:search_id>/delete/", search_views.delete_search, name="saved-search-delete"
    ),
    path("batches/<int:batch_id>/", views.batch_compare, name="batch-compare"),
    path("generations/<int:generation_id>/", include(one_generation)),
]
