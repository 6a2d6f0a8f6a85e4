from django.urls import path

from . import views

app_name = "uploads"
urlpatterns = [
    path("<str:token>/", views.staged_file, name="staged"),
]
