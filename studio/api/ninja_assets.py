"""django-ninja's Swagger UI (its templates and static files) for the API's docs page,
without listing `ninja` itself as an app: Django imports every app's package at start-up,
and ninja's imports pydantic and its test client (jinja2 with it), about 13 MB in every
process, the worker included, which never serves a docs page. Here the app's path is
found without running the package; only the web process imports ninja, with the API's
URLs."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from django.apps import AppConfig


class NinjaAssets(AppConfig):
    name = "studio.api.ninja_assets"
    label = "ninja_assets"
    verbose_name = "django-ninja's docs page assets"
    # The package's folder (templates/ninja/, static/ninja/), located, not imported.
    path = str(Path(find_spec("ninja").origin).parent)
