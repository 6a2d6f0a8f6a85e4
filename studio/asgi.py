"""The ASGI entry point (gunicorn with uvicorn's worker class, see the Dockerfile): the
OpenAI-shaped API endpoints wait minutes for images, and under ASGI a waiting request is a
coroutine, not a worker thread held. Everything else runs as under WSGI."""

import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
# No persistent database connections here, whatever the environment says (Django's advice
# for ASGI): a pool per process instead (STUDIO_WEB_DB_POOL_MAX; see DATABASES in
# studio/settings/base.py).
os.environ["STUDIO_DB_CONN_MAX_AGE"] = "0"
os.environ["STUDIO_DB_POOL"] = "1"
application = get_asgi_application()

# As studio.wsgi: never serve on the development secret key.
from studio.core.checks import HINT, secret_key_problem  # noqa: E402

if problem := secret_key_problem():
    raise ImproperlyConfigured(f"{problem} {HINT}")
