from django.urls import path

from . import invitation_views, views

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
    path("<slug:slug>/invites/", invitation_views.invites, name="team-invites"),
    path(
        "<slug:slug>/invites/<int:pk>/revoke/",
        invitation_views.revoke,
        name="team-invite-revoke",
    ),
    path("<slug:slug>/rename/", views.rename, name="team-rename"),
    path("<slug:slug>/delete/", views.delete, name="team-delete"),
]
