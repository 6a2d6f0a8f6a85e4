from django.urls import path

from . import views

urlpatterns = [
    path("", views.collection_list, name="collections"),
    path("<int:collection_id>/", views.collection_page, name="collection"),
    path("<int:collection_id>/add/", views.add, name="collection-add"),
    path("<int:collection_id>/remove/", views.remove, name="collection-remove"),
    path("<int:collection_id>/move/", views.move, name="collection-move"),
    path("<int:collection_id>/cover/", views.cover, name="collection-cover"),
    path("<int:collection_id>/delete/", views.delete, name="collection-delete"),
]
