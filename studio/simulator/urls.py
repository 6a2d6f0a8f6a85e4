"""Routes of the simulator, mounted at /simulator/v1/ (the API's paths under its base URL)."""

from django.urls import path, re_path

from . import views

app_name = "simulator"

urlpatterns = [
    path("generations", views.create_generation, name="create"),
    path("generations/<str:job_id>", views.get_generation, name="detail"),
    path("files/<str:job_id>/<str:filename>", views.download_output, name="file"),
    # Anything else answers a JSON 404 like the API (and APPEND_SLASH never redirects a POST).
    re_path(r"^(?P<path>.*)$", views.not_found),
]
