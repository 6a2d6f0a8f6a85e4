from django.urls import path

from . import views

# /teams/<slug>/ itself (the team gallery) is a generations view: see generations/urls.py.
urlpatterns = [
    path("", views.team_list, name="teams"),
    path("<slug:slug>/members/", views.members, name="team-members"),
    path("<slug:slug>/members/<str:username>/", views.member, name="team-member"),
    path(
        "<slug:slug>/members/<str:username>/remove/",
        views.remove_member,
        name="team-member-remove",
    ),
    path("<slug:slug>/rename/", views.rename, name="team-rename"),
    path("<slug:slug>/delete/", views.delete, name="team-delete"),
]
