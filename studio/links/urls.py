from django.urls import path

from . import views

urlpatterns = [
    path("s/<str:token>/", views.public_page, name="public-link"),
    path("s/<str:token>/file/<int:output_id>/", views.public_file, name="public-link-file"),
    path("s/<str:token>/thumb/<int:output_id>/", views.public_thumbnail, name="public-link-thumb"),
    path("settings/links/", views.my_links, name="public-links"),
    path("settings/links/<int:link_id>/revoke/", views.revoke, name="public-link-revoke"),
    path(
        "generations/<int:generation_id>/link/", views.make_for_generation, name="generation-link"
    ),
    path(
        "collections/<int:collection_id>/link/", views.make_for_collection, name="collection-link"
    ),
]
