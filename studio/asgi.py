"""The ASGI entry point (gunicorn with uvicorn's worker class, see the Dockerfile).

Two kinds of request share it. The OpenAI-shaped API's endpoints wait minutes for images:
they are async views, and here a waiting request is a coroutine, not a thread held, so
they go to Django's ASGI handler. Everything else (pages, polls, files, the rest of the
API) is sync code, and Django's ASGI handler is a costly way to run it: it starts a thread
for each request and hands over between that thread and the event loop at each sync
middleware and at the view, about a quarter of the web tier's CPU under load
(docs/benchmarks.md, "Capacity: the web tier"). Those requests go to Django's WSGI
handler instead, on a fixed pool of threads per process (studio.core.sync_asgi;
STUDIO_WEB_THREADS, default 8), as a threaded WSGI server would run them.
"""

import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
# No persistent database connections here, whatever the environment says (Django's advice
# for ASGI): a pool per process instead (STUDIO_WEB_DB_POOL_MAX; see DATABASES in
# studio/settings/base.py), which both kinds of request take from.
os.environ["STUDIO_DB_CONN_MAX_AGE"] = "0"
os.environ["STUDIO_DB_POOL"] = "1"
django_asgi = get_asgi_application()

# As studio.wsgi: never serve on the development secret key.
from studio.core.checks import HINT, secret_key_problem  # noqa: E402

if problem := secret_key_problem():
    raise ImproperlyConfigured(f"{problem} {HINT}")

from django.conf import settings  # noqa: E402

from studio.core.sync_asgi import SyncDjango, waits  # noqa: E402

django_sync = SyncDjango(threads=settings.WEB_THREADS)


async def application(scope, receive, send):
    if scope["type"] == "http" and not waits(scope["path"]):
        return await django_sync(scope, receive, send)
    return await django_asgi(scope, receive, send)
