"""The Django core of the studio's settings: apps, middleware, templates, the database,
sign-in, static and media files (on the disk or S3), request size limits."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from studio.core import s3
from studio.core.env import env_bool, env_float, env_int

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Only for DJANGO_DEBUG=1: with DEBUG off the start-up check (studio.core.checks) and the
# WSGI entry point refuse to run on it.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
if "testserver" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append("testserver")
# The simulator's in-process host (see SIMULATOR_BASE_URL below).
SIMULATOR_HOST = "simulator.studio.internal"
ALLOWED_HOSTS.append(SIMULATOR_HOST)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_q",
    "csp",
    "axes",
    "studio.core",
    "studio.accounts",
    "studio.teams",
    # An app for its migrations, which made the tables studio.simulator's models now use.
    "studio.upstream",
    "studio.simulator",
    "studio.generations",
    "studio.uploads",
    "studio.moderation",
    "studio.usage",
    "studio.collections",
    "studio.links",
    "studio.webhooks",
    "studio.api",
    # For the API docs page: django-ninja ships Swagger UI as static files (no CDN); its
    # folder without its package (see ninja_assets.py).
    "studio.api.ninja_assets.NinjaAssets",
]

MIDDLEWARE = [
    # First: its time and count cover every request, whatever answers it.
    "studio.core.observe.ObserveRequestsMiddleware",
    "studio.core.middleware.ReleaseConnectionWhileStreamingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "studio.core.middleware.NoStoreHtmlMiddleware",
    # The API's own body cap (and error shape) for /api/; the uploads guard steps aside there.
    "studio.api.middleware.ApiBodyMiddleware",
    "studio.uploads.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "studio.core.middleware.NulCharacterMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "studio.accounts.session_hint.SignedInHintMiddleware",
    "studio.webhooks.middleware.CheckInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "studio.core.middleware.HtmxLoginRedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.teams.context_processors.studio",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Seconds a connection is kept for the thread that opened it: the worker's and a
        # WSGI server's threads live long and reuse theirs. studio.asgi sets 0: under ASGI a
        # request's sync code may run on a thread of its own, and a connection kept for it
        # is never used or closed again (PostgreSQL ran out of them under load).
        conn_max_age=env_int("STUDIO_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# The ASGI web server's processes share a pool of connections each (Django's, with
# psycopg_pool) instead: a request takes one and gives it back when it ends, so no request
# pays for a new PostgreSQL connection (about 3-5 ms of both sides' CPU, and a backend's
# start) and each process holds at most STUDIO_WEB_DB_POOL_MAX: with WEB_CONCURRENCY
# processes, WEB_CONCURRENCY x that many, to keep under PostgreSQL's max_connections beside
# the workers'. studio.asgi turns it on (STUDIO_DB_POOL=1); the worker, whose cluster forks,
# keeps its persistent connections. STUDIO_WEB_DB_POOL_MAX=0: a connection per request.
WEB_DB_POOL_MAX = env_int("STUDIO_WEB_DB_POOL_MAX", 4)
# Threads per ASGI web process that run the sync views (studio.core.sync_asgi): they share
# the GIL, so more only queue there; a streamed download holds one while it is sent.
WEB_THREADS = max(1, env_int("STUDIO_WEB_THREADS", 8))
if (
    os.environ.get("STUDIO_DB_POOL") == "1"
    and WEB_DB_POOL_MAX > 0
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool takes no persistent connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env_int("STUDIO_WEB_DB_POOL_MIN", 1), WEB_DB_POOL_MAX),
        "max_size": WEB_DB_POOL_MAX,
        # A request waits this long for a free connection, then fails (500) rather than queue
        # without end behind requests that hold them all.
        "timeout": env_float("STUDIO_WEB_DB_POOL_TIMEOUT", 10.0),
    }
    # CONN_HEALTH_CHECKS stays on: Django has the pool check each connection before it hands
    # it out, so one broken by a PostgreSQL restart is replaced (a round trip per request;
    # without it the bench measured the same).
# PostgreSQL: parameters sent apart from the query, and a statement run 5 times on a
# connection prepared there (psycopg), so the pages' and polls' queries are planned once per
# connection instead of at every request: half of PostgreSQL's CPU per request, measured
# (docs/benchmarks.md). STUDIO_DB_PREPARED=0 turns it off, e.g. behind PgBouncer in
# transaction mode, which cannot keep a connection's prepared statements.
if env_bool("STUDIO_DB_PREPARED", True) and DATABASES["default"]["ENGINE"] == (
    "django.db.backends.postgresql"
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The ORM broker, the worker and the web server all write to one file: WAL lets readers
    # run beside a writer, IMMEDIATE takes the write lock at BEGIN (no lock upgrade deadlock),
    # and the busy timeout makes a writer wait instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not memory, so a worker process started by the e2e tests can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# django-axes' backend first: it refuses a locked-out pair before a password is checked. The
# provider's backend acts only on the sign-in callback (it needs the nonce that view passes).
AUTHENTICATION_BACKENDS = [
    "studio.accounts.backends.ThrottledSignIn",
    "django.contrib.auth.backends.ModelBackend",
    "studio.accounts.oidc.StudioOIDCBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Only for `collectstatic` in a production image; a fresh clone serves from the finders.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
# Serve straight from the finders so a fresh clone needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
# Files are served only through views that check access; there is no public media URL.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Media on S3 (set STUDIO_S3_BUCKET; the local disk stays the default) -----------------
S3_BUCKET = os.environ.get("STUDIO_S3_BUCKET", "")
S3_ENDPOINT_URL = os.environ.get("STUDIO_S3_ENDPOINT_URL", "").rstrip("/")
# Where browsers reach the bucket, when that differs from where the servers do (compose:
# the containers say http://minio:9000, a browser says http://localhost:9000). Presigned
# URLs are signed for this host; signing is local, so it needs no route from the server.
S3_PUBLIC_URL = os.environ.get("STUDIO_S3_PUBLIC_URL", "").rstrip("/") or S3_ENDPOINT_URL
S3_REGION = os.environ.get("AWS_S3_REGION_NAME", "") or "us-east-1"
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "")
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
# A presigned file URL lives this long; the file views' Cache-Control is shorter, so a
# browser never keeps a redirect to a URL that has expired.
S3_PRESIGN_SECONDS = env_int("STUDIO_S3_PRESIGN_SECONDS", 600)
FILE_CACHE_SECONDS = S3_PRESIGN_SECONDS // 2
# The origin the browser loads S3 images from, for the Content-Security-Policy's img-src;
# empty while media is on the disk (the images are then same-origin).
S3_MEDIA_ORIGIN = ""
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": s3.BACKEND,
        "OPTIONS": s3.storage_options(
            bucket=S3_BUCKET,
            endpoint_url=S3_ENDPOINT_URL,
            region=S3_REGION,
            access_key=AWS_ACCESS_KEY_ID,
            secret_key=AWS_SECRET_ACCESS_KEY,
            presign_seconds=S3_PRESIGN_SECONDS,
        ),
    }
    S3_MEDIA_ORIGIN = s3.media_origin(bucket=S3_BUCKET, public_url=S3_PUBLIC_URL, region=S3_REGION)
# Hand disk files to nginx (`X-Accel-Redirect` to this internal location + the file's
# name) instead of streaming them from Python; empty: Django streams them.
X_ACCEL_REDIRECT = os.environ.get("STUDIO_X_ACCEL_REDIRECT", "").rstrip("/")

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A form takes one source and at most a handful of references; thousands of tiny parts are
# an attack on the parser, refused before any view runs (Django's default is 100).
DATA_UPLOAD_MAX_NUMBER_FILES = 20
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
