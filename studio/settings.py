"""Settings for the studio. Everything an operator changes comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF

from studio.core import s3

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


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
    "studio.webhooks",
    "studio.api",
    # For the API docs page: django-ninja ships Swagger UI as static files (no CDN).
    "ninja",
]

MIDDLEWARE = [
    # First: its time and count cover every request, whatever answers it.
    "studio.core.observe.ObserveRequestsMiddleware",
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
        conn_max_age=60,
        conn_health_checks=True,
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

# STUDIO_SIGNUP=1 opens /accounts/signup/ (username, password, optional e-mail) to anyone;
# off, accounts come from an admin, the `team` command's users or the identity provider.
STUDIO_SIGNUP = env_bool("STUDIO_SIGNUP")

# --- Single sign-on (OpenID Connect, through mozilla-django-oidc; see studio/accounts/oidc.py)
# All three set: the sign-in page offers "Sign in with STUDIO_OIDC_NAME". The endpoints come
# from the issuer's discovery document.
STUDIO_OIDC_ISSUER = os.environ.get("STUDIO_OIDC_ISSUER", "").rstrip("/")
STUDIO_OIDC_CLIENT_ID = os.environ.get("STUDIO_OIDC_CLIENT_ID", "")
STUDIO_OIDC_CLIENT_SECRET = os.environ.get("STUDIO_OIDC_CLIENT_SECRET", "")
STUDIO_OIDC_NAME = os.environ.get("STUDIO_OIDC_NAME", "")
STUDIO_OIDC_SCOPES = os.environ.get("STUDIO_OIDC_SCOPES", "openid email profile")
# A claim whose values (`team-slug` or `team-slug:role`) set team memberships at each sign-in.
STUDIO_OIDC_TEAMS_CLAIM = os.environ.get("STUDIO_OIDC_TEAMS_CLAIM", "")
# 1: a first provider sign-in joins the existing account with that e-mail, when the provider
# says the address is verified. Off by default: an e-mail is not proof of owning an account.
STUDIO_OIDC_LINK_BY_EMAIL = env_bool("STUDIO_OIDC_LINK_BY_EMAIL")
# Signing out also ends the provider's session when it offers end_session_endpoint.
STUDIO_OIDC_END_SESSION = env_bool("STUDIO_OIDC_END_SESSION", True)
# 0: only the provider signs people in here (staff keep the admin's own sign-in page).
STUDIO_PASSWORD_LOGIN = env_bool("STUDIO_PASSWORD_LOGIN", True)
OIDC_RP_SIGN_ALGO = os.environ.get("STUDIO_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's sign-out
OIDC_TOKEN_USE_BASIC_AUTH = True  # client_secret_basic: every provider's default
OIDC_TIMEOUT = env_float("STUDIO_OIDC_TIMEOUT", 10.0)
OIDC_CLOCK_SKEW_SECONDS = 60
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_REDIRECT_FIELD_NAME = "next"

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

# --- Security ----------------------------------------------------------------------------
# See docs/security.md: each threat, its control and the test that proves it.
# Content-Security-Policy (django-csp): only our own scripts, styles and connections; no
# inline code and no eval (htmx runs with allowEval off, see base.html's htmx-config).
# Images also come from blob: (the composer previews a picked file before upload).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "blob:", "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if S3_MEDIA_ORIGIN:
    # File views redirect the browser to presigned URLs on the bucket for every image.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(S3_MEDIA_ORIGIN)
if STUDIO_OIDC_ISSUER:
    # Signing out posts to the studio, which redirects to the provider's end_session_endpoint:
    # browsers hold a form's redirects to form-action too.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(origin_of(STUDIO_OIDC_ISSUER))
X_FRAME_OPTIONS = "DENY"  # for browsers that predate frame-ancestors
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Pages hand htmx the token in hx-headers; no script ever reads the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# STUDIO_HTTPS=1: served over HTTPS behind a proxy that terminates TLS and sets
# X-Forwarded-Proto (the proxy must overwrite that header, never pass a client's through).
STUDIO_HTTPS = env_bool("STUDIO_HTTPS")
SILENCED_SYSTEM_CHECKS: list[str] = []
if STUDIO_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A load balancer probes /healthz over plain HTTP; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("STUDIO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("STUDIO_HSTS_PRELOAD")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
    if not SECURE_HSTS_PRELOAD:
        # security.W021 asks for HSTS preload. Preloading puts the whole domain (every
        # subdomain too) on a list built into browsers, which takes months to leave: an
        # operator's decision for their domain (STUDIO_HSTS_PRELOAD=1), not a default.
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Error reports (DEBUG's page, admin mails) hide any value that shows the provider key.
DEFAULT_EXCEPTION_REPORTER_FILTER = "studio.core.reporting.KeyHidingFilter"

# Images one person may submit per minute (a batch counts its size), so one account cannot
# drain the budget or the provider's quota by script. Counted from the database: it holds
# across web processes.
SUBMIT_RATE_PER_MINUTE = env_int("STUDIO_SUBMIT_RATE_PER_MINUTE", 30)

# Sign-in throttling (django-axes): 5 failures for one username from one address lock that
# pair out for 15 minutes; others on the same address (an office, a NAT) still sign in.
# The address: REMOTE_ADDR, or behind the STUDIO_HTTPS proxy the one it appended to
# X-Forwarded-For (see studio.accounts.lockout.client_ip).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "studio.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "studio.accounts.lockout.client_ip"
AXES_WHITELIST_CALLABLE = "studio.accounts.lockout.not_a_password_attempt"

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
UPSTREAM_READ_TIMEOUT = env_float("STUDIO_UPSTREAM_READ_TIMEOUT", 60.0)
# A GET of a job's state is small and safe to repeat: a short wait keeps one slow answer
# from holding up the polls of every other row.
UPSTREAM_POLL_READ_TIMEOUT = env_float("STUDIO_UPSTREAM_POLL_READ_TIMEOUT", 10.0)
UPSTREAM_DOWNLOAD_MAX_BYTES = env_int("STUDIO_UPSTREAM_DOWNLOAD_MAX_BYTES", 64 * 1024 * 1024)
# One output's whole transfer; past it the download is retried (a trickling CDN).
UPSTREAM_DOWNLOAD_DEADLINE_SECONDS = env_float("STUDIO_UPSTREAM_DOWNLOAD_DEADLINE_SECONDS", 120.0)
# A completed job's failed downloads are retried with backoff while its output URLs may
# still answer: the provider's URLs last an hour, counted here from the submit.
DOWNLOAD_RETRY_SECONDS = env_float("STUDIO_DOWNLOAD_RETRY_SECONDS", 3600.0)
UPSTREAM_SUBMIT_MAX_ATTEMPTS = 6

# The simulator's timeline and the lifetime of its presigned output URLs.
SIMULATOR_SECONDS = float(os.environ.get("STUDIO_SIMULATOR_SECONDS", "4"))
SIMULATOR_URL_EXPIRY_SECONDS = env_int("STUDIO_SIMULATOR_URL_EXPIRY_SECONDS", 3600)
# How long the simulator's slow faults (slow_post, slow_get, trickle) take.
SIMULATOR_SLOW_SECONDS = env_float("STUDIO_SIMULATOR_SLOW_SECONDS", 5.0)

# --- Pipeline --------------------------------------------------------------------------
# Polling (see studio/generations/timing.py): every POLL_DENSE_SECONDS once a job may be
# done, rising to POLL_MAX_SECONDS for jobs slower than any seen (and than the tail floor).
POLL_DENSE_SECONDS = env_float("STUDIO_POLL_SECONDS", 2.0)
POLL_MAX_SECONDS = env_float("STUDIO_POLL_MAX_SECONDS", 10.0)
POLL_TAIL_AFTER_SECONDS = 120.0
POLL_DURATION_SAMPLES = 20
# The loop sleeps until the next due row, but looks for new rows at least this often.
POLL_IDLE_SECONDS = env_float("STUDIO_POLL_IDLE_SECONDS", 1.0)
# Short and renewed every turn (and every second within one), so a dead loop's lease has
# lapsed within seconds and a restarted worker takes over at once.
POLL_LEASE_SECONDS = env_float("STUDIO_POLL_LEASE_SECONDS", 5.0)
# Renewed this often by a thread of its own beside the loop (no GET outlives the lease).
POLL_LEASE_RENEW_SECONDS = env_float("STUDIO_POLL_LEASE_RENEW_SECONDS", 1.0)
# Without studio_worker (a bare qcluster), the loop is a chain of tasks of this length.
POLL_TASK_SECONDS = env_float("STUDIO_POLL_TASK_SECONDS", 20.0)
# Kept for the task chain's tests; the loop no longer sleeps a fixed time.
POLL_LOOP_MAX_SLEEP = 3.0
# How often an open team gallery asks whether something new was shared (seconds, while
# the tab is visible). Slow on purpose: one small request per member, answered 204.
TEAM_NEWS_SECONDS = 15
# One turn of the polling loop stops taking rows after this long, well inside the task
# timeout below: django-q2 kills a task that overruns, and a killed worker can stall it.
POLL_TURN_BUDGET_SECONDS = 30
# Threads beside the loop for downloads and resubmits (they never wait behind polls).
PIPELINE_THREADS = env_int("STUDIO_PIPELINE_THREADS", 8)
# Of those, how many may decode an image (verify + thumbnail) at once: CPU and memory bound.
PIPELINE_DECODES = env_int("STUDIO_PIPELINE_DECODES", max(1, min(4, os.cpu_count() or 1)))
# A handed-off download not finished by then is presumed lost, and the row polled again.
DOWNLOAD_CLAIM_SECONDS = env_float("STUDIO_DOWNLOAD_CLAIM_SECONDS", 90.0)
# A claimed submit older than this has lost its worker (above the POST's own timeouts).
STUCK_SUBMIT_SECONDS = env_float("STUDIO_STUCK_SUBMIT_SECONDS", 90.0)
JOB_MAX_SECONDS = 60 * 60
THUMBNAIL_SIZE = 512

# The provider's limits, shared by every worker (studio/generations/provider_budget.py); 0: none.
UPSTREAM_POSTS_PER_MINUTE = env_int("STUDIO_UPSTREAM_POSTS_PER_MINUTE", 300)
UPSTREAM_GETS_PER_SECOND = env_float("STUDIO_UPSTREAM_GETS_PER_SECOND", 20.0)
UPSTREAM_MAX_CONCURRENT_JOBS = env_int("STUDIO_UPSTREAM_MAX_CONCURRENT_JOBS", 100)
# How long a row held back for a free slot waits before it is looked at again.
BUDGET_SLOT_WAIT_SECONDS = 1.0
# STUDIO_TRANSITION_HOOKS (every state change's in-transaction hooks) is set below, with
# what plugs into it (see generations/transitions.py).
# A row held back by the request budget (or never sent) this long fails with a reason.
PENDING_MAX_SECONDS = env_float("STUDIO_PENDING_MAX_SECONDS", 3600.0)
# Asked just before a job's POST, under its claim, as check(generation) -> None or
# (failure_code, reason) to fail it instead (dotted paths; see pipeline/sending.py).
STUDIO_SEND_CHECKS = ["studio.moderation.suspension.send_check"]

# studio_worker: it checks that its cluster runs a heartbeat task every few seconds and
# that its polling loop turns; either silent for WORKER_STUCK_SECONDS and it exits 3
# (with a beat every 5 s, a hang is detected within 45 + 5 s: under the minute promised).
WORKER_HEARTBEAT_SECONDS = env_float("STUDIO_WORKER_HEARTBEAT_SECONDS", 5.0)
WORKER_STUCK_SECONDS = env_float("STUDIO_WORKER_STUCK_SECONDS", 45.0)
# How often studio_worker re-drives lost rows itself (the Schedule only runs once a minute).
WORKER_REDRIVE_SECONDS = env_float("STUDIO_WORKER_REDRIVE_SECONDS", 10.0)

# --- Uploads ----------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("STUDIO_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("STUDIO_UPLOAD_MAX_PIXELS", 40_000_000)

# --- Batches and bulk work --------------------------------------------------------------
# Images one submit may ask for (the composer's `count`); each is its own upstream job.
BATCH_MAX = env_int("STUDIO_BATCH_MAX", 4)
# Originals one bulk download may put in its zip: the zip is streamed, but each file is a
# read from storage, and a request that runs for minutes ties up a web worker.
ZIP_MAX_FILES = env_int("STUDIO_ZIP_MAX_FILES", 100)
# Bulk actions that higher apps add to the gallery's selection (action -> dotted path of a
# function `(*, user, ids, data) -> message`): generations does not import them.
BULK_ACTIONS = {"collect": "studio.collections.bulk.collect"}
# Called after the composer's submission is saved, `(*, user, generations, data)`: the
# apps above generations act on what they added to the form ("Collect into").
SUBMITTED_HOOKS = ["studio.collections.composer.collect_submitted"]
# The galleries' `collection` filter, `(qs, *, user, collection_id) -> qs`: what of a
# gallery is in that collection as `user` is shown it.
COLLECTION_FILTER = "studio.collections.gallery.in_collection"

# --- JSON API (studio/api) ----------------------------------------------------------------
# How long the OpenAI-shaped endpoints wait for every image before answering 504 (the jobs
# go on); no server timeout in front of them may be shorter (Dockerfile, compose).
API_WAIT_SECONDS = env_float("STUDIO_API_WAIT_SECONDS", 300.0)
# How often a waiting request looks at its rows (one small query each time).
API_WAIT_POLL_SECONDS = env_float("STUDIO_API_WAIT_POLL_SECONDS", 0.5)
# A request body (JSON with inline images, or multipart) may be this large; past it, 413.
API_MAX_BODY_BYTES = env_int("STUDIO_API_MAX_BODY_MB", 100) * 1024 * 1024
# How long an output URL in the API's answers keeps working (the provider's last an hour).
API_OUTPUT_URL_SECONDS = env_int("STUDIO_API_OUTPUT_URL_SECONDS", 3 * 3600)
# An Idempotency-Key's first answer is replayed for this long.
API_IDEMPOTENCY_SECONDS = 24 * 3600

# --- Moderation ---------------------------------------------------------------------------
# After this many confirmed violations in 30 days a person is suspended; 0 / unset: off.
STUDIO_AUTO_SUSPEND_AFTER = env_int("STUDIO_AUTO_SUSPEND_AFTER", 0)
# Writes the row of every studio.core.audit.record call (the log's model is moderation's).
STUDIO_AUDIT_RECORDER = "studio.moderation.audit.record"

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
WEBHOOK_RETRY_SCHEDULE = [
    float(s)
    for s in os.environ.get(
        "STUDIO_WEBHOOK_RETRY_SCHEDULE", "10,300,1800,7200,18000,36000,86400"
    ).split(",")
]
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
