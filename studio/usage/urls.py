from django.urls import path

from . import views

urlpatterns = [
    path("usage/", views.mine, name="usage"),
    path("teams/<slug:slug>/usage/", views.team, name="team-usage"),
]

# Mounted before the admin's own URLs (studio/urls.py): /admin/usage/ would otherwise be
# the admin's index of this app.
admin_urlpatterns = [
    path("admin/usage/", views.admin_usage, name="admin-usage"),
    path("admin/usage/export.csv", views.admin_export, name="admin-usage-export"),
]
