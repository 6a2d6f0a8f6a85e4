"""Running it: the django-q2 cluster, metrics and logs, telling people and programs that a
job ended (webhooks, e-mail), error reports."""

from __future__ import annotations

import os

from studio.core.env import env_bool, env_floats, env_int

from .base import SECRET_KEY
from .jobs import LUMA_AGENTS_API_KEY, PORT

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

# --- Caches ----------------------------------------------------------------------------
# `cards`: gallery cards' HTML (studio/generations/cards.py), per process: no network round
# trip on a page and nothing to fail when Redis is cut. A card is a few kB; the oldest go
# first when full.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "cards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "studio-cards",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": env_int("STUDIO_CARD_CACHE_ENTRIES", 20000)},
    },
    # `throttle`: counters of the public links' rate limit (studio/links/throttle.py). On
    # Redis when there is one, so every web process counts together; short timeouts, and a
    # failure lets the request through (a Redis cut must not take the pages down).
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "studio-throttle",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}

# --- Observability (README, Deploy: metrics and logs) -------------------------------------
# /metrics answers only a request bearing this token (404 otherwise, and while unset).
METRICS_TOKEN = os.environ.get("STUDIO_METRICS_TOKEN", "")
# studio_worker serves its own /metrics (the same token) on this port; 0: not served.
WORKER_METRICS_PORT = env_int("STUDIO_WORKER_METRICS_PORT", 0)
WORKER_METRICS_ADDRESS = os.environ.get("STUDIO_WORKER_METRICS_ADDRESS", "0.0.0.0")

# STUDIO_LOG_FORMAT=json: one JSON object per line (studio.core.logs), for a log shipper;
# otherwise plain lines for a person reading a terminal.
LOG_FORMAT = "json" if os.environ.get("STUDIO_LOG_FORMAT", "").lower() == "json" else "plain"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "studio.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "loggers": {
        "studio": {"handlers": ["console"], "level": os.environ.get("STUDIO_LOG_LEVEL", "INFO")},
        # django-q2 logs as "django-q"; its INFO line for every task would drown the rest.
        "django-q": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Telling people and programs that a job ended -------------------------------------
# What links in webhooks and e-mails start with (the worker has no request to ask).
STUDIO_PUBLIC_URL = os.environ.get("STUDIO_PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
# Called inside the transaction of every state change of a generation, with
# (generation, old_state, new_state): how higher apps learn of it (dotted paths).
STUDIO_TRANSITION_HOOKS = [
    "studio.webhooks.outbox.on_transition",
    # Each transition logged (with the generation id) and counted in the metrics.
    "studio.generations.metrics.on_transition",
]
WEBHOOK_ALLOW_PRIVATE = env_bool("STUDIO_WEBHOOK_ALLOW_PRIVATE")
WEBHOOK_TIMEOUT_SECONDS = 10.0
# Seconds before each retry of a failed delivery; when they run out, it is given up.
WEBHOOK_RETRY_SCHEDULE = env_floats(
    "STUDIO_WEBHOOK_RETRY_SCHEDULE", "10,300,1800,7200,18000,36000,86400"
)
# A retry due this soon is made by the task that failed (schedules run once a minute).
WEBHOOK_INLINE_RETRY_SECONDS = 15.0
# An endpoint failing every delivery this long is disabled (and its person told).
WEBHOOK_DISABLE_AFTER_SECONDS = 3 * 24 * 3600
# After a rotation, the old secret signs beside the new one this long.
WEBHOOK_ROTATION_OVERLAP_SECONDS = 24 * 3600
WEBHOOK_READ_CAP_BYTES = 64 * 1024
WEBHOOK_EXCERPT_CHARS = 500
WEBHOOK_ENDPOINTS_PER_PERSON = 10
# Delivered and given-up deliveries (with their attempt log) are deleted after this long.
WEBHOOK_KEEP_DAYS = 30

# E-mail: SMTP when EMAIL_HOST is set (compose), else printed on the console (make run).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("STUDIO_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Studio <studio@localhost>")
# E-mail when a job ends: only for a batch or a job longer than this, and only when no
# studio page of the person has checked in for as long.
NOTIFY_EMAIL_MIN_JOB_SECONDS = 120
NOTIFY_EMAIL_AWAY_SECONDS = 120
if LOG_FORMAT == "json":
    # Django prints a 500's traceback only while DEBUG is on: a log shipper wants it always,
    # as one JSON line like the rest.
    LOGGING["loggers"]["django.request"] = {
        "handlers": ["console"],
        "level": "ERROR",
        "propagate": False,
    }

# SENTRY_DSN (optional): errors are reported there, with the provider key, tokens and
# secrets scrubbed from every event (studio.core.sentry).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from studio.core import sentry

    sentry.init(SENTRY_DSN, secrets=[LUMA_AGENTS_API_KEY, METRICS_TOKEN, SECRET_KEY])
