import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.urls import get_resolver

from studio.generations import queue, timing
from studio.teams.models import Membership, Team
from studio.upstream.client import reset_client
from tests.task_recorder import TaskRecorder


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIMULATOR_SECONDS = 0.0
    reset_client()
    timing.forget()  # durations learned in one test must not steer the polls of the next
    caches["cards"].clear()  # a card kept in one test is not the next test's to draw
    # The public links' rate limit counts per test: a key prefix of its own (clear() on
    # Redis would be FLUSHDB, the broker's queue with it).
    caches["throttle"].key_prefix = f"throttle-test-{uuid.uuid4().hex}"
    yield
    reset_client()


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("owner", password="pw-owner-123")


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("member", password="pw-member-123")


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user("outsider", password="pw-outsider-123")


@pytest.fixture
def team(owner, member):
    t = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=t, user=owner, role=Membership.Role.OWNER)
    Membership.objects.create(team=t, user=member, role=Membership.Role.EDITOR)
    return t


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def task_queue(monkeypatch, settings):
    # One turn per poll_loop task, so a test steps the chain itself.
    settings.POLL_TASK_SECONDS = 0
    recorder = TaskRecorder()
    monkeypatch.setattr(queue, "enqueue", recorder)
    return recorder


@pytest.fixture
def real_api(settings):
    """Point the client at a fake provider URL with a key, for `responses` mocks."""
    # studio.urls mounts the simulator at import if it is enabled: import it now, as the
    # process started, or a first request made under this fixture would leave it unmounted
    # for every later test.
    get_resolver().url_patterns  # noqa: B018
    settings.LUMA_AGENTS_API_KEY = "test-key-not-real"
    settings.SIMULATOR_ENABLED = False
    settings.LUMA_BASE_URL = "https://agents.test/v1"
    reset_client()
    return settings.LUMA_BASE_URL


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One SQLite test database per pytest process, so runs side by side don't clobber it
    (the file, not memory, lets the e2e tests' worker process open it too)."""
    db = django_settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(db["TEST"]["NAME"])
        db["TEST"]["NAME"] = str(name.with_name(f"{name.stem}-{os.getpid()}{name.suffix}"))


# The suite's OpenID Connect provider (started on first use, once per session): here, so the
# sign-in tests and the browser tests share one.
from tests.oidc_provider import oidc_provider  # noqa: E402, F401
