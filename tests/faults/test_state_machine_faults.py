"""The job state machine under faults, against real studio_worker processes and a fake
provider in this process (tests/faults/provider.py) that records every request: a frozen
lease holder, a second worker starting mid-download, 1-s cuts of Redis and PostgreSQL,
slow GETs with workers killed and restarted, storage that fails for the thumbnail only, a
provider that answers an unknown state.

Each test asserts the same things (`assert_machine`): every row final with a reason, at
most one POST per generation, no row seen leaving a final state (a watcher reads every
row's state all along, and each row's history is checked), no two downloads of one output
at once (the provider's own timestamps), and the storage listing equal to the rows
(`media_check`: no file without its row, no row without its file). Lengths and intervals
are settings (FAULT_*), so the suite stays within its 5 minutes; recoveries are printed and
asserted only against the suite's generous ceiling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection, connections
from django.utils import timezone

from studio.generations import media_check
from studio.generations.models import FINAL, Generation, PollLease, State
from tests.worker import _purge_broker, cluster_processes, database_url, worker_env

from .conftest import WORKER_ENV, Supervised
from .helpers import create, finished, report, wait
from .provider import FakeProvider
from .proxy import Proxy

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# Longer than the takeover needs (the lease, 5 s, the download claim, 8 s, and a 3-s
# trickle), so that the other worker finishes the jobs while the holder is still frozen.
FREEZE_SECONDS = float(os.environ.get("FAULT_FREEZE_SECONDS", "15"))
CUT_SECONDS = float(os.environ.get("FAULT_CUT_SECONDS", "1"))
# Between the cut of PostgreSQL and the cut of Redis.
CUT_GAP_SECONDS = float(os.environ.get("FAULT_CUT_GAP_SECONDS", "4"))
# django-q2's pusher pauses 10 s after any error of its broker before the sentinel starts a
# new one (django_q/pusher.py), so no heartbeat runs for ~11 s after a blip of Redis (or of
# the database, with the ORM broker): the worker must wait longer than that before calling
# itself stuck (the default is 45 s; the suite's usual 8 s would restart it).
CUT_STUCK_SECONDS = os.environ.get("FAULT_CUT_STUCK_SECONDS", "20")
SLOW_GET_SECONDS = float(os.environ.get("FAULT_SLOW_GET_SECONDS", "7"))
RESTART_EVERY_SECONDS = float(os.environ.get("FAULT_RESTART_EVERY_SECONDS", "15"))
RESTARTS = int(os.environ.get("FAULT_RESTARTS", "2"))
STORAGE_OUTAGE_SECONDS = float(os.environ.get("FAULT_STORAGE_OUTAGE_SECONDS", "6"))
JOB_MAX_SECONDS = os.environ.get("FAULT_JOB_MAX_SECONDS", "10")
FINISH_TIMEOUT = 120

# A download's claim (other loops keep off its row) longer than a lost lease takes to stop
# the downloads of the loop that held it (the lease, 5 s, and a renewal, 1 s).
MACHINE_ENV = {"STUDIO_DOWNLOAD_CLAIM_SECONDS": "8"}


class Watcher(threading.Thread):
    """Reads every row's state every 0.2 s: a row seen final and later in another state
    is a violation, whatever its history says."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.final: dict[int, str] = {}
        self.left: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.wait(0.2):
                with contextlib.suppress(Exception):  # the database cut on purpose
                    for pk, state in Generation.objects.values_list("pk", "state"):
                        seen = self.final.get(pk)
                        if seen is not None and state != seen:
                            self.left.append(f"generation {pk}: {seen} -> {state}")
                        if state in FINAL:
                            self.final.setdefault(pk, state)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=10)


class Machine:
    def __init__(self, request, settings, provider: FakeProvider, db_url: str, env: dict) -> None:
        _purge_broker()
        base = worker_env(
            db_url=database_url(connection.settings_dict), media_root=settings.MEDIA_ROOT
        )
        self.env = {
            **base,
            **WORKER_ENV,
            **MACHINE_ENV,
            "LUMA_BASE_URL": provider.base_url,
            **env,
            "DATABASE_URL": db_url,
        }
        self.request = request
        self.provider = provider
        self.media = Path(settings.MEDIA_ROOT)
        self.workers: list[Supervised] = []
        self.watcher = Watcher()
        self.watcher.start()

    def start_workers(self, n: int = 1, *, wait: bool = True) -> list[Supervised]:
        """Start `n` supervised studio_workers at once (and wait for their clusters)."""
        started = [Supervised(self.env, self.request) for _ in range(n)]
        self.workers += started
        for worker in started if wait else []:
            worker.worker.wait_for(
                lambda w=worker: cluster_processes(w.worker), timeout=60, what="the cluster"
            )
        return started

    def restarts(self) -> int:
        return sum(w.restarts for w in self.workers)

    def stop(self) -> None:
        self.watcher.stop()
        # All at once: each takes a few seconds to stop its cluster.
        stopping = [threading.Thread(target=_quietly, args=(w.stop,)) for w in self.workers]
        for t in stopping:
            t.start()
        for t in stopping:
            t.join(timeout=30)


def _quietly(fn) -> None:
    with contextlib.suppress(Exception):
        fn()


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider(seconds=2.0, trickle_seconds=3.0).start()
    try:
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def machine(request, settings, provider, *, db_url: str | None = None, **env) -> Iterator[Machine]:
    m = Machine(request, settings, provider, db_url or database_url(connection.settings_dict), env)
    try:
        yield m
    finally:
        m.stop()


def lease_held() -> bool:
    return (
        PollLease.objects.filter(name=PollLease.POLLER, expires_at__gt=timezone.now())
        .exclude(holder="")
        .exists()
    )


def storage_matches_rows() -> bool:
    report = media_check.check(min_age=timedelta(0))
    return not report.orphans and not report.missing


def storage_settled() -> bool:
    if not storage_matches_rows():
        return False
    time.sleep(1)
    return storage_matches_rows()


def assert_machine(m: Machine, gens: list[Generation]) -> None:
    """The promises every state-machine fault must keep (see the module docstring)."""
    posts = dict(m.provider.posts)
    for gen in gens:
        gen.refresh_from_db()
        assert gen.state in FINAL, (gen.pk, gen.state)
        sent = posts.get(gen.prompt, 0)
        assert sent <= 1, f"{gen.prompt!r} was POSTed {sent}x"
        if gen.state == State.FAILED:
            assert gen.failure_code and gen.failure_reason, gen.pk
            assert not gen.outputs.exists(), gen.pk
        else:
            assert sent == 1 and gen.outputs.exists(), gen.pk
        steps = [step["state"] for step in gen.history]
        first_final = next((i for i, s in enumerate(steps) if s in FINAL), len(steps))
        assert steps[first_final + 1 :] == [], f"generation {gen.pk} left a final state: {steps}"
    assert m.watcher.left == []
    assert m.provider.overlapping_downloads() == []
    # A download that lost its race deletes what it wrote, a few ms after writing it (a
    # worker just resumed may be between the two): the listing must match twice, 1 s apart.
    with contextlib.suppress(AssertionError):
        wait(storage_settled, 30, "the storage to match the rows")
    report = media_check.check(min_age=timedelta(0))
    assert report.orphans == [] and report.missing == [], report


def signal_group(worker: Supervised, signum: int) -> None:
    os.killpg(worker.worker.proc.pid, signum)


def test_lease_holder_frozen_while_downloads_trickle(request, settings, provider, owner):
    with machine(request, settings, provider) as m:
        (holder,) = m.start_workers(wait=False)
        wait(lease_held, 60, "the first worker to hold the lease")
        m.start_workers()
        gens = create(owner, "frozen [fake:trickle]", 3)
        wait(lambda: provider.downloads_started("frozen") >= 1, 60, "a download under way")
        signal_group(holder, signal.SIGSTOP)
        frozen = time.monotonic()
        recovery = None
        try:
            # The other worker takes the lease over and downloads the outputs again once
            # the frozen one's claim has lapsed, while the holder is still frozen.
            while time.monotonic() - frozen < FREEZE_SECONDS:
                if finished(gens):
                    recovery = time.monotonic() - frozen
                    break
                time.sleep(0.2)
            time.sleep(max(0.0, FREEZE_SECONDS - (time.monotonic() - frozen)))
        finally:
            signal_group(holder, signal.SIGCONT)
        wait(lambda: finished(gens), FINISH_TIMEOUT, "all to finish")
        assert_machine(m, gens)
        assert all(g.state == State.COMPLETED for g in gens), [g.failure_reason for g in gens]
        if connection.vendor == "postgresql":
            # (SQLite has one writer: a process frozen inside a write transaction, which its
            # cluster's ORM broker is often in, holds every other writer until it resumes.)
            assert recovery is not None, "the other worker did not finish the jobs in time"
        when = "while frozen" if recovery is not None else "after it resumed"
        recovery = recovery if recovery is not None else time.monotonic() - frozen
        report(
            f"lease holder frozen {FREEZE_SECONDS:.0f} s (freeze -> all completed, {when})",
            recovery,
        )


def test_second_worker_started_while_downloads_run(request, settings, provider, owner):
    with machine(request, settings, provider) as m:
        m.start_workers()
        gens = create(owner, "second [fake:trickle]", 4)
        wait(lambda: provider.downloads_started("second") >= 1, 60, "a download under way")
        started = time.monotonic()
        m.start_workers(wait=False)  # re-drives every in-flight row at its start
        wait(lambda: finished(gens), FINISH_TIMEOUT, "all to finish")
        assert_machine(m, gens)
        assert all(g.state == State.COMPLETED for g in gens), [g.failure_reason for g in gens]
        report(
            "second worker started mid-download (start -> all completed)",
            time.monotonic() - started,
        )


def _proxied(url: str, proxy: Proxy) -> str:
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)
    netloc = (auth[0] + "@" if len(auth) == 2 else "") + f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_one_second_cuts_of_redis_and_postgresql(request, settings, provider, owner):
    if connection.vendor == "sqlite":
        pytest.skip("no network between the worker and SQLite to cut (the PostgreSQL run cuts it)")
    db = urlsplit(database_url(connection.settings_dict))
    proxies = [Proxy(db.hostname or "127.0.0.1", db.port or 5432)]
    env = {}
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        parts = urlsplit(redis_url)
        proxies.append(Proxy(parts.hostname or "127.0.0.1", parts.port or 6379))
        env["REDIS_URL"] = _proxied(redis_url, proxies[-1])
    db_url = _proxied(database_url(connection.settings_dict), proxies[0])
    env["STUDIO_WORKER_STUCK_SECONDS"] = CUT_STUCK_SECONDS
    try:
        with machine(request, settings, provider, db_url=db_url, **env) as m:
            m.start_workers()
            gens = create(owner, "cuts [fake:seconds_8]", 4)
            wait(lambda: len(provider.posts) == 4, 60, "the submits")
            # PostgreSQL for a second, then Redis for a second, while the jobs run.
            for i, proxy in enumerate(proxies):
                if i:
                    time.sleep(CUT_GAP_SECONDS)
                proxy.cut()
                time.sleep(CUT_SECONDS)
                proxy.restore()
            back = time.monotonic()
            wait(lambda: finished(gens), FINISH_TIMEOUT, "all to finish")
            assert_machine(m, gens)
            assert [g.failure_code for g in gens if g.state == State.FAILED] == []
            assert m.restarts() == 0
            what = "PostgreSQL" + (" and Redis" if redis_url else "")
            report(
                f"{CUT_SECONDS:.0f}-s cuts of {what} (last cut -> all completed)",
                time.monotonic() - back,
            )
    finally:
        for p in proxies:
            p.close()


def test_slow_gets_with_a_worker_killed_and_restarted(request, settings, provider, owner):
    provider.get_delay = SLOW_GET_SECONDS
    timeout = str(SLOW_GET_SECONDS + 5)
    env = {"STUDIO_UPSTREAM_READ_TIMEOUT": timeout, "STUDIO_UPSTREAM_POLL_READ_TIMEOUT": timeout}
    with machine(request, settings, provider, **env) as m:
        workers = m.start_workers(2)
        gens = create(owner, "slow gets [fake:seconds_4]", 2)
        # The first kill in the middle of the first slow GETs, then one every interval.
        for i in range(RESTARTS):
            time.sleep(RESTART_EVERY_SECONDS if i else SLOW_GET_SECONDS)
            # Killed without a word; its supervisor starts it again.
            with contextlib.suppress(ProcessLookupError):
                signal_group(workers[i % 2], signal.SIGKILL)
        last_kill = time.monotonic()
        wait(lambda: finished(gens), FINISH_TIMEOUT, "all to finish")
        assert_machine(m, gens)
        # A kill during a POST may fail its row (submit_interrupted: never resent).
        for gen in gens:
            assert gen.state == State.COMPLETED or gen.failure_code == "submit_interrupted"
        report(
            f"GETs of {SLOW_GET_SECONDS:.0f} s, a worker killed every "
            f"{RESTART_EVERY_SECONDS:.0f} s (last kill -> all final)",
            time.monotonic() - last_kill,
        )


def test_storage_fails_for_the_thumbnail_but_not_the_original(request, settings, provider, owner):
    thumbs = Path(settings.MEDIA_ROOT) / "thumbs"
    thumbs.parent.mkdir(parents=True, exist_ok=True)
    # A file where the thumbnails' folder should be: every thumbnail write fails, while
    # originals are written as usual (and must be removed again).
    thumbs.write_bytes(b"not a folder")
    with machine(request, settings, provider) as m:
        m.start_workers()
        gens = create(owner, "thumbless", 2)
        wait(lambda: provider.downloads_started("thumbless") >= 2, 60, "the downloads")
        time.sleep(STORAGE_OUTAGE_SECONDS)
        assert not any(
            g.state == State.COMPLETED
            for g in Generation.objects.filter(pk__in=[g.pk for g in gens])
        )
        assert not list((Path(settings.MEDIA_ROOT) / "outputs").rglob("*.*")), "orphan originals"
        thumbs.unlink()
        back = time.monotonic()
        wait(lambda: finished(gens), FINISH_TIMEOUT, "all to finish")
        assert_machine(m, gens)
        assert all(g.state == State.COMPLETED for g in gens), [g.failure_reason for g in gens]
        report(
            f"thumbnail storage failing {STORAGE_OUTAGE_SECONDS:.0f} s (back -> all completed)",
            time.monotonic() - back,
        )


def test_provider_answers_an_unknown_state(request, settings, provider, owner):
    with machine(request, settings, provider, STUDIO_JOB_MAX_SECONDS=JOB_MAX_SECONDS) as m:
        m.start_workers()
        known_later = create(owner, "unknown [fake:unknown] [fake:seconds_3]", 2)
        never = create(owner, "unknown [fake:unknown_forever]", 1)
        wait(lambda: finished(known_later + never), FINISH_TIMEOUT, "all to finish")
        assert_machine(m, known_later + never)
        assert all(g.state == State.COMPLETED for g in known_later)
        (stuck,) = never
        assert (stuck.state, stuck.failure_code) == (State.FAILED, "timed_out")
        # Polled all along (never left silent), and ended at its bound with the reason.
        job = next(j for j in provider.jobs.values() if j.prompt == stuck.prompt)
        assert len(job.gets) >= 2
        took = (stuck.completed_at - stuck.created_at).total_seconds()
        report(
            f"unknown state for ever (timed_out after {took:.0f} s, bound {JOB_MAX_SECONDS} s)",
            took - float(JOB_MAX_SECONDS),
        )
