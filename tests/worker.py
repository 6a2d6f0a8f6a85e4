"""A real django-q2 worker (`manage.py qcluster`) for end-to-end and browser tests.

Use the `worker` fixture from a conftest (`from tests.worker import worker`). It starts the
cluster as a subprocess against the test database, so the test must commit its rows
(the fixture pulls in `transactional_db`), and it must not use the `task_queue` recorder,
which would keep the tasks from ever reaching the broker.

Import `pytest_runtest_makereport` into the same conftest to get the tail of the worker's
log in the report of a failing test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from django.db import connection
from django_q.brokers import get_broker

from studio.core import processes

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")

_WORKER_KEY = pytest.StashKey["Worker"]()
_FAILED_KEY = pytest.StashKey[bool]()

_SCHEMES = {
    "django.db.backends.postgresql": "postgres",
    "django.db.backends.mysql": "mysql",
}


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL naming the database `settings_dict` points at (the test database once
    pytest-django has created it), for dj-database-url in another process."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            raise RuntimeError(
                "the test database is in memory, another process cannot open it: "
                'set DATABASES["default"]["TEST"]["NAME"] to a file'
            )
        return f"sqlite:///{Path(name).resolve()}"
    scheme = _SCHEMES.get(engine)
    if scheme is None:
        raise RuntimeError(f"no DATABASE_URL scheme known for {engine}")
    auth = ""
    if settings_dict.get("USER"):
        auth = quote(str(settings_dict["USER"]), safe="")
        if settings_dict.get("PASSWORD"):
            auth += ":" + quote(str(settings_dict["PASSWORD"]), safe="")
        auth += "@"
    # A socket directory as host must be percent-encoded for dj-database-url.
    host = quote(str(settings_dict.get("HOST") or ""), safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"{scheme}://{auth}{host}{port}/{quote(name, safe='')}"


def worker_env(*, db_url: str, media_root: str | os.PathLike[str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        MEDIA_ROOT=str(media_root),
        STUDIO_SIMULATOR_SECONDS="1",
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    # DEBUG is off here as in production, so the start-up check wants a secret key given;
    # this process's own, as django-q2 signs tasks with it and both ends must agree.
    from django.conf import settings

    env.setdefault("DJANGO_SECRET_KEY", settings.SECRET_KEY)
    # REDIS_URL (the broker) is inherited as it is: set in CI's second run, unset otherwise.
    return env


class WorkerDied(AssertionError):
    pass


class Worker:
    """One `manage.py qcluster` (or `command`, e.g. studio_worker) process and its log."""

    def __init__(self, env: dict[str, str], *, command: str = "qcluster") -> None:
        self.command = command
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix=f"{command}-", suffix=".log", delete=False
        )
        self.log_path = Path(self.log.name)
        self.started = time.monotonic()
        # Its own process group, so the sentinel and the pool can be killed together.
        self.proc = processes.start_logged(
            [sys.executable, str(REPO / "manage.py"), command], cwd=REPO, env=env, log=self.log
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def assert_alive(self) -> None:
        if not self.alive():
            raise WorkerDied(
                f"the {self.command} worker exited with code {self.proc.returncode}:\n{self.tail()}"
            )

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no worker log: {exc})"
        return "\n".join(text.splitlines()[-lines:]) or "(the worker logged nothing)"

    def wait_for(
        self,
        predicate: Callable[[], T],
        *,
        timeout: float = 60.0,
        interval: float = 0.2,
        what: str = "the condition",
    ) -> T:
        """Call `predicate` until it returns something truthy; fail fast if the worker dies."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            self.assert_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM (the cluster then stops its pool), SIGKILL to the group after `grace`."""
        try:
            processes.stop(self.proc, grace=grace)
        finally:
            self.log.close()

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)


def _purge_broker() -> None:
    """Drop tasks a previous test left in the broker (matters for Redis, which the test
    database flush does not reach), so they do not run against this test's rows."""
    get_broker().purge_queue()


def start_worker(
    request: pytest.FixtureRequest, settings, command: str = "qcluster", **extra_env: str
) -> Worker:
    """Start `command` on the test database; the test's report gets its log if it fails.
    The caller stops it (`finish_worker`)."""
    if "task_queue" in request.fixturenames:
        raise pytest.UsageError("the worker fixture needs the real async_task: drop task_queue")
    _purge_broker()
    env = worker_env(db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT)
    env.update(extra_env)
    w = Worker(env, command=command)
    request.node.stash[_WORKER_KEY] = w
    return w


def finish_worker(request: pytest.FixtureRequest, w: Worker) -> None:
    w.stop()
    # Keep the log of a failing test for a closer look; its tail is in the report.
    if not request.node.stash.get(_FAILED_KEY, False):
        w.remove_log()


@pytest.fixture
def worker(request: pytest.FixtureRequest, transactional_db, settings) -> Iterator[Worker]:
    """A real django-q2 cluster on the test database and this test's MEDIA_ROOT."""
    w = start_worker(request, settings)
    try:
        yield w
    finally:
        finish_worker(request, w)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    w = item.stash.get(_WORKER_KEY, None)
    if w is not None and report.failed:
        item.stash[_FAILED_KEY] = True
        report.sections.append((f"{w.command} worker log ({report.when}, {w.log_path})", w.tail()))


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid`, oldest first (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def cluster_processes(w: Worker) -> list[int]:
    """A studio_worker's django-q2 sentinel children: the pool (2), monitor, pusher, in
    the order django-q2 starts them (empty until all are up)."""
    for qcluster in children(w.proc.pid):
        for sentinel in children(qcluster):
            procs = children(sentinel)
            if len(procs) >= 4:
                return procs
    return []


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
