"""Settings for the studio. Everything an operator changes comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-only-insecure-key-change-me-in-production"
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
    "studio.core",
    "studio.accounts",
    "studio.teams",
    # An app for its migrations, which made the tables studio.simulator's models now use.
    "studio.upstream",
    "studio.simulator",
    "studio.generations",
    "studio.uploads",
    "studio.moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "studio.generations.context_processors.studio",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
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

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Upstream (Luma Agents API) -------------------------------------------------------
LUMA_AGENTS_API_KEY = os.environ.get("LUMA_AGENTS_API_KEY", "")
SIMULATOR_ENABLED = not LUMA_AGENTS_API_KEY
PORT = env_int("PORT", 8000)
# With no key, the studio's own simulator answers; the worker reaches it in-process (see
# studio.simulator.wsgi_adapter), so it works whatever port the web server listens on.
SIMULATOR_BASE_URL = f"http://{SIMULATOR_HOST}/simulator/v1"
# Called with each new client's requests Session and base URL (a dotted path, or empty).
UPSTREAM_SESSION_SETUP = (
    "studio.simulator.wsgi_adapter.mount_in_process" if SIMULATOR_ENABLED else ""
)
LUMA_BASE_URL = (
    os.environ.get("LUMA_BASE_URL")
    or (SIMULATOR_BASE_URL if SIMULATOR_ENABLED else "https://agents.lumalabs.ai/v1")
).rstrip("/")
UPSTREAM_CONNECT_TIMEOUT = 5.0
UPSTREAM_READ_TIMEOUT = 60.0
UPSTREAM_DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024
UPSTREAM_SUBMIT_MAX_ATTEMPTS = 6

# The simulator's timeline and the lifetime of its presigned output URLs.
SIMULATOR_SECONDS = float(os.environ.get("STUDIO_SIMULATOR_SECONDS", "4"))
SIMULATOR_URL_EXPIRY_SECONDS = env_int("STUDIO_SIMULATOR_URL_EXPIRY_SECONDS", 3600)

# --- Pipeline --------------------------------------------------------------------------
POLL_MIN_SECONDS = 2.0
POLL_MAX_SECONDS = 10.0
POLL_LOOP_MAX_SLEEP = 3.0
POLL_LEASE_SECONDS = 60
# One turn of the polling loop stops taking rows after this long, well inside the task
# timeout below: django-q2 kills a task that overruns, and a killed worker can stall it.
POLL_TURN_BUDGET_SECONDS = 30
STUCK_SUBMIT_SECONDS = 120
JOB_MAX_SECONDS = 60 * 60
THUMBNAIL_SIZE = 512

# --- Uploads ----------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("STUDIO_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("STUDIO_UPLOAD_MAX_PIXELS", 40_000_000)

# --- django-q2 -------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "studio",
    "workers": env_int("STUDIO_WORKERS", 2),
    "recycle": 500,
    # A task never runs longer than a poll batch or one submit; retry must stay well above
    # timeout or a slow task would be handed to a second worker while the first still runs.
    "timeout": 90,
    "retry": 300,
    # The Generation row is the source of truth: a failed task is acknowledged, not re-run.
    "ack_failures": True,
    "max_attempts": 1,
    "save_limit": 200,
    "catch_up": False,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "studio": {"handlers": ["console"], "level": os.environ.get("STUDIO_LOG_LEVEL", "INFO")},
        # django-q2 logs as "django-q"; its INFO line for every task would drown the rest.
        "django-q": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
