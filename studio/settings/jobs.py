"""The jobs: the provider (or the built-in simulator), the pipeline and its worker, uploads,
batches, the JSON API's waits, moderation's thresholds."""

from __future__ import annotations

import os

from studio.core.env import env_float, env_int, env_model_seconds

from .base import SIMULATOR_HOST

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
# still answer: the provider's URLs last an hour from the job's completion upstream.
DOWNLOAD_RETRY_SECONDS = env_float("STUDIO_DOWNLOAD_RETRY_SECONDS", 3600.0)
UPSTREAM_SUBMIT_MAX_ATTEMPTS = 6

# The simulator's timeline and the lifetime of its presigned output URLs.
SIMULATOR_SECONDS = env_float("STUDIO_SIMULATOR_SECONDS", 4.0)
SIMULATOR_URL_EXPIRY_SECONDS = env_int("STUDIO_SIMULATOR_URL_EXPIRY_SECONDS", 3600)
# How long the simulator's slow faults (slow_post, slow_get, trickle) take.
SIMULATOR_SLOW_SECONDS = env_float("STUDIO_SIMULATOR_SLOW_SECONDS", 5.0)

# --- Pipeline --------------------------------------------------------------------------
# Polling (see studio/generations/timing.py): every POLL_DENSE_SECONDS once a job may be
# done, rising to POLL_MAX_SECONDS for jobs slower than any seen (and than the tail floor).
POLL_DENSE_SECONDS = env_float("STUDIO_POLL_SECONDS", 2.0)
POLL_MAX_SECONDS = env_float("STUDIO_POLL_MAX_SECONDS", 10.0)
POLL_TAIL_AFTER_SECONDS = 120.0
# What the provider documents of its jobs' durations, for a kind of job (model and type)
# with nothing learned yet: "a uni-1 image typically takes tens of seconds to a couple of
# minutes; uni-1-max longer" (its public docs, November 2026). No GET before these seconds after the
# submit (a little under "tens of seconds"; how much longer uni-1-max is, is not said, so
# only a little), and the GETs a plain poll would have sent by then are spent as a denser
# poll later. Learned durations replace it. STUDIO_POLL_PRIOR_SECONDS="uni-1=8,uni-1-max=10"
# sets it, "0" turns it off; off by default when the built-in simulator answers (its jobs
# take STUDIO_SIMULATOR_SECONDS, a few seconds), in-process or over HTTP.
_SIMULATOR_ANSWERS = SIMULATOR_ENABLED or LUMA_BASE_URL.endswith("/simulator/v1")
POLL_PRIOR_SECONDS = env_model_seconds(
    "STUDIO_POLL_PRIOR_SECONDS", {} if _SIMULATOR_ANSWERS else {"uni-1": 8.0, "uni-1-max": 10.0}
)
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
# How often an open team gallery asks whether something new was shared (seconds, while
# the tab is visible). Slow on purpose: one small request per member, answered 204.
TEAM_NEWS_SECONDS = 15
# How often an open studio page (while visible) asks for the person's rows made elsewhere:
# through the API, in another tab.
GALLERY_NEWS_SECONDS = 15
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
# A job at the provider longer than this (whatever state it names) fails `timed_out`.
JOB_MAX_SECONDS = env_float("STUDIO_JOB_MAX_SECONDS", 3600.0)
THUMBNAIL_SIZE = 512

# The provider's limits, shared by every worker (studio/generations/provider_budget.py); 0: none.
UPSTREAM_POSTS_PER_MINUTE = env_int("STUDIO_UPSTREAM_POSTS_PER_MINUTE", 300)
UPSTREAM_GETS_PER_SECOND = env_float("STUDIO_UPSTREAM_GETS_PER_SECOND", 20.0)
UPSTREAM_MAX_CONCURRENT_JOBS = env_int("STUDIO_UPSTREAM_MAX_CONCURRENT_JOBS", 100)
# How long a row held back for a free slot waits before it is looked at again.
BUDGET_SLOT_WAIT_SECONDS = 1.0
# STUDIO_TRANSITION_HOOKS (every state change's in-transaction hooks) is in operations.py, with
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
# The submission gate's checks that apps above generations own (generations/gate.py):
# `check(user)` before the form is read, and `reserve(*, user, team, estimate, count)` in
# the transaction that saves the rows; each raises gate.SubmissionRefused to refuse.
SUBMISSION_CHECKS = ["studio.moderation.suspension.check_may_submit"]
SUBMISSION_RESERVATIONS = ["studio.usage.budgets.reserve"]
# Called after the composer's submission is saved, `(*, user, generations, data)`: the
# apps above generations act on what they added to the form ("Collect into").
SUBMITTED_HOOKS = ["studio.collections.composer.collect_submitted"]
# The galleries' `collection` filter, `(qs, *, user, collection_id) -> qs`: what of a
# gallery is in that collection as `user` is shown it.
COLLECTION_FILTER = "studio.collections.gallery.in_collection"
# What the apps above generations add to a gallery card's cache key, `(request, gen) ->
# value`: each app's part of the card, so a kept card changes when it does (cards.py).
CARD_KEY_PARTS = ["studio.collections.cards.card_key", "studio.moderation.cards.card_key"]

# --- Public links (studio/links) ------------------------------------------------------------
# Live (unexpired) links one person may have at once; past it, making one is refused.
STUDIO_PUBLIC_LINKS_MAX = 500
# How long a browser may keep an image opened through a public link: short, so that a
# revoked link stops showing it soon even to someone who saw it.
PUBLIC_LINK_FILE_SECONDS = 300
# Requests (pages and files together) one address may make through public links per minute;
# past it: 429 with Retry-After, no view counted. 0: no limit. A collection's page is one
# request plus one per thumbnail (24 a page).
PUBLIC_LINK_RATE_PER_MINUTE = env_int("STUDIO_PUBLIC_LINK_RATE_PER_MINUTE", 300)

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
