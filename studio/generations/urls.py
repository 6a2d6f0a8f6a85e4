from django.urls import include, path

from .views import bulk, compose, files, galleries, item, parameters, searches, trash

# Everything about one generation, under /generations/<id>/ (its appeal is moderation's).
one_generation = [
    path("", item.detail, name="generation-detail"),
    path("favourite/", item.favourite, name="generation-favourite"),
    path("share/", item.share, name="generation-share"),
    path("retry/", item.retry, name="generation-retry"),
    path("delete/", item.delete, name="generation-delete"),
    path("parameters/", parameters.generation_parameters, name="generation-parameters"),
    path("outputs/<int:position>/", files.output_file, name="output-file"),
    path("outputs/<int:position>/thumb/", files.output_thumbnail, name="output-thumbnail"),
    path("outputs/<int:position>/reference/", compose.use_as_reference, name="output-reference"),
    path("inputs/<int:input_id>/", files.input_file, name="input-file"),
]

urlpatterns = [
    path("", galleries.studio, name="studio"),
    path("gallery/poll/", galleries.gallery_poll, name="gallery-poll"),
    path("teams/<slug:slug>/", galleries.team_gallery, name="team-gallery"),
    path("generations/", compose.create, name="generation-create"),
    path("generations/bulk/", bulk.bulk_action, name="generations-bulk"),
    path("generations/prompts/", compose.prompt_history, name="prompt-history"),
    path("generations/recall/", parameters.recall, name="generation-recall"),
    path("searches/", searches.save_search, name="saved-searches"),
    path("searches/<int:search_id>/delete/", searches.delete_search, name="saved-search-delete"),
    path("batches/<int:batch_id>/", bulk.batch_compare, name="batch-compare"),
    path("trash/", trash.trash_page, name="trash"),
    path("trash/restore/", trash.restore, name="trash-restore"),
    path("trash/empty/", trash.empty, name="trash-empty"),
    path("trash/<int:generation_id>/thumb/", trash.trash_thumbnail, name="trash-thumbnail"),
    path("generations/<int:generation_id>/", include(one_generation)),
]
