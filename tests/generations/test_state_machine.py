"""The job state machine as a model (hypothesis' RuleBasedStateMachine): every actor that
touches a generation row (the submit, each answer the provider can give, downloads that
succeed or fail, the watchdog, a worker starting and re-driving everything, a second
polling loop taking the lease over, a suspension, the person's Retry and Delete) as a rule,
interleaved at random on real rows, with stale reads played out as a slow worker would.

After every step: at most one upstream POST per generation; a final row never leaves its
state; a completed row has its outputs and their files; a failed one has a code and a
reason and no outputs; no output file without its row.

A fixed seed and a fixed number of examples (STUDIO_MODEL_EXAMPLES, default 15), so CI
runs the same interleavings every time on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from studio.generations import pipeline, services, transitions
from studio.generations.models import FINAL, Generation, Output, PollLease, State
from studio.generations.pipeline import polling, sending
from studio.moderation import suspension
from studio.upstream.errors import DownloadError, UnknownOutcome, UpstreamError
from tests.images import image_bytes

from .helpers import make_generation

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("STUDIO_MODEL_EXAMPLES", "15"))
PNG = image_bytes("PNG")


LEFT_FINAL: list[tuple[int, str, str]] = []


def watch_transitions(generation, old_state, new_state) -> None:
    """A transition hook (STUDIO_TRANSITION_HOOKS) that notes any step out of a final state."""
    if old_state in FINAL:
        LEFT_FINAL.append((generation.pk, old_state, new_state))


class FakeProvider:
    """The provider as the pipeline's client sees it: jobs by id, each POST counted by the
    generation it was made for, the next answer of each call chosen by the model."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}
        self.posts: Counter[int] = Counter()
        self.post_answer = "queued"
        self.during_post = None  # a callable the model runs while the POST is "out"
        self.downloads_fail = False
        self.replay = None  # an answer given earlier, applied late (a slow worker's GET)

    # The three calls the pipeline makes ------------------------------------------------
    def create_generation(self, body: dict, *, request_id: str) -> dict:
        gen_id = body["_generation"]
        answer = self.post_answer
        if answer == "http_429":
            raise UpstreamError(429, "slow down", retryable=True, retry_after=0)
        if answer == "http_400":
            raise UpstreamError(400, "bad request", retryable=False)
        self.posts[gen_id] += 1
        if self.during_post is not None:
            self.during_post()
        if answer == "unknown_outcome":
            raise UnknownOutcome(None, "read timed out", retryable=False)
        job_id = f"up-{gen_id}-{self.posts[gen_id]}"
        self.jobs[job_id] = {"id": job_id, "state": answer, "output": []}
        return dict(self.jobs[job_id])

    def get_generation(self, upstream_id: str, *, request_id: str) -> dict:
        if self.replay is not None:
            return dict(self.replay)
        job = self.jobs.get(upstream_id)
        if job is None:
            raise UpstreamError(404, "no such job", retryable=False)
        return dict(job)

    def download(self, url: str, *, max_bytes=None, cancel=None):
        if self.downloads_fail:
            raise DownloadError(503, "the CDN answered 503", retryable=True)
        return BytesIO(PNG)


class JobMachine(RuleBasedStateMachine):
    rows = Bundle("rows")
    stale = Bundle("stale")

    def __init__(self) -> None:
        super().__init__()
        LEFT_FINAL.clear()
        # Each example starts from nothing (the database is shared by the examples).
        Generation.objects.all().delete()
        PollLease.objects.all().delete()
        suspension.lift(user=JobMachine.owner, by=None)
        shutil.rmtree(django_settings.MEDIA_ROOT, ignore_errors=True)
        self.provider = FakeProvider()
        self.owner = JobMachine.owner
        self.handed: list[tuple] = []
        self.final: dict[int, str] = {}
        self.takeovers = 0
        self.token = "loop-0"
        PollLease.acquire(self.token)
        self.fence = transitions.Fence(PollLease.fence_of(self.token))
        JobMachine.patch(self.provider)

    # Rows ---------------------------------------------------------------------------
    @initialize(target=rows)
    def first_jobs(self):
        """Three jobs, sent and accepted: the races below need rows at the provider."""
        pks = [make_generation(self.owner).pk for _ in range(3)]
        for pk in pks:
            pipeline.submit(pk)
        return multiple(*pks)

    @rule(target=rows)
    def new_job(self):
        return make_generation(self.owner).pk

    @rule(target=rows, pk=rows)
    def retry(self, pk):
        gen = Generation.objects.filter(pk=pk).first()
        if gen is None or not gen.retryable:
            return pk
        return services.retry_generation(gen).pk

    @rule(pk=consumes(rows))
    def delete(self, pk):
        gen = Generation.objects.filter(pk=pk).first()
        if gen is not None:
            services.delete_generation(gen)
            self.final.pop(pk, None)

    # Sending --------------------------------------------------------------------------
    @rule(
        pk=rows,
        answer=st.sampled_from(
            ["queued", "processing", "warming_up", "http_429", "http_400", "unknown_outcome"]
        ),
        watchdog_meanwhile=st.booleans(),
    )
    def submit(self, pk, answer, watchdog_meanwhile):
        self.provider.post_answer = answer
        # A POST that outlives STUCK_SUBMIT_SECONDS: the watchdog runs while it is out.
        self.provider.during_post = self.stuck_submit_watchdog if watchdog_meanwhile else None
        try:
            pipeline.submit(pk)
        finally:
            self.provider.during_post = None

    def stuck_submit_watchdog(self):
        old = django_settings.STUCK_SUBMIT_SECONDS
        django_settings.STUCK_SUBMIT_SECONDS = -1
        try:
            pipeline.redrive()
        finally:
            django_settings.STUCK_SUBMIT_SECONDS = old

    @rule(on=st.booleans())
    def suspension(self, on):
        if on:
            suspension.suspend(user=self.owner, by=None, reason="model")
        else:
            suspension.lift(user=self.owner, by=None)

    # The provider ---------------------------------------------------------------------
    # Indexes taken modulo what exists: a strategy whose shape depended on the rows (their
    # number, their ids) would make hypothesis' replays of one example draw differently.
    @rule(
        pick=st.integers(0, 99), state=st.sampled_from(["processing", "completed", "failed", "odd"])
    )
    def provider_moves(self, pick, state):
        if not self.provider.jobs:
            return
        jobs = sorted(self.provider.jobs)
        job_id = jobs[pick % len(jobs)]
        job = self.provider.jobs[job_id]
        if job["state"] in ("completed", "failed"):
            return
        job["state"] = state
        if state == "completed":
            job["output"] = [{"type": "image", "url": f"https://cdn.test/{job_id}.png"}]
        if state == "failed":
            job["failure_code"], job["failure_reason"] = "generation_failed", "it broke"

    # Polling, with reads that may be stale by the time they are used ------------------
    @rule(target=stale, pk=rows)
    def read_and_get(self, pk):
        """A worker reads the row and GETs the job now; it applies the answer later."""
        gen = Generation.objects.filter(pk=pk).first()
        job = self.provider.jobs.get(gen.upstream_id) if gen is not None else None
        return (gen, dict(job) if job is not None else None)

    @rule(read=consumes(stale), handoff=st.booleans(), fenced=st.booleans())
    def apply_answer(self, read, handoff, fenced):
        gen, answer = read
        if gen is None or answer is None:
            return
        if gen.state not in (State.QUEUED, State.PROCESSING):
            return
        kwargs = {"fence": self.fence if fenced else None}
        if handoff:
            kwargs["handoff"] = lambda fn, *args: self.handed.append((fn, args))
        self.provider.replay = answer
        try:
            pipeline.poll_one(gen, **kwargs)
        finally:
            self.provider.replay = None

    @rule(
        pk=rows,
        meanwhile=st.sampled_from(["completes", "fails", "watchdog", "takeover", "redrive"]),
        handoff=st.booleans(),
    )
    def slow_poll(self, pk, meanwhile, handoff):
        """A race in one step: a worker GETs a job; before it writes the answer, something
        else moves the row; then it writes."""
        gen = Generation.objects.filter(pk=pk, state__in=[State.QUEUED, State.PROCESSING]).first()
        if gen is None or gen.upstream_id not in self.provider.jobs:
            return
        answer = dict(self.provider.jobs[gen.upstream_id])
        fence = self.fence
        job = self.provider.jobs[gen.upstream_id]
        if meanwhile in ("completes", "fails") and job["state"] not in ("completed", "failed"):
            job["state"] = "completed" if meanwhile == "completes" else "failed"
            job["output"] = [{"type": "image", "url": f"https://cdn.test/{gen.upstream_id}.png"}]
            job["failure_code"], job["failure_reason"] = "generation_failed", "it broke"
            self.loop_turn()
        elif meanwhile == "watchdog":
            self.job_runs_too_long(pk)
        elif meanwhile == "takeover":
            self.another_loop_takes_over()
            self.loop_turn()
        else:
            self.redrive(at_start=True)
            self.loop_turn()
        kwargs = {"fence": fence}
        if handoff:
            kwargs["handoff"] = lambda fn, *args: self.handed.append((fn, args))
        self.provider.replay = answer
        try:
            pipeline.poll_one(gen, **kwargs)
        finally:
            self.provider.replay = None

    @rule(pick=st.integers(0, 99), fail=st.booleans())
    def download(self, pick, fail):
        if not self.handed:
            return
        index = pick % len(self.handed)
        fn, args = self.handed.pop(index)
        self.provider.downloads_fail = fail
        try:
            fn(*args)
        finally:
            self.provider.downloads_fail = False

    @rule()
    def loop_turn(self):
        Generation.objects.in_flight().update(next_attempt_at=timezone.now())
        pipeline.poll_due(fence=self.fence)

    # Recovery -------------------------------------------------------------------------
    @rule(at_start=st.booleans())
    def redrive(self, at_start):
        pipeline.redrive(at_start=at_start)

    @rule(pk=rows)
    def job_runs_too_long(self, pk):
        Generation.objects.filter(pk=pk).update(
            created_at=timezone.now() - timezone.timedelta(hours=2)
        )
        pipeline.redrive()

    @rule()
    def another_loop_takes_over(self):
        PollLease.objects.filter(name=PollLease.POLLER).update(expires_at=timezone.now())
        self.takeovers += 1
        self.token = f"loop-{self.takeovers}"
        PollLease.acquire(self.token)
        # The old loop's handed-off downloads keep the fence they were given; new work
        # gets the new one.
        self.fence = transitions.Fence(PollLease.fence_of(self.token))

    # Invariants -----------------------------------------------------------------------
    @invariant()
    def at_most_one_post_per_generation(self):
        assert all(n <= 1 for n in self.provider.posts.values()), self.provider.posts

    @invariant()
    def a_final_state_is_never_left(self):
        for pk, state in Generation.objects.values_list("pk", "state"):
            if pk in self.final:
                assert state == self.final[pk], (pk, self.final[pk], state)
            elif state in FINAL:
                self.final[pk] = state

    @invariant()
    def no_transition_left_a_final_state(self):
        # Seen by the transition hook, inside each write: also a flip back and forth
        # within one step, which the rows alone would not show.
        assert not LEFT_FINAL, LEFT_FINAL

    @invariant()
    def only_completed_rows_have_outputs(self):
        assert not Output.objects.exclude(generation__state=State.COMPLETED).exists()

    @invariant()
    def final_rows_are_whole(self):
        for gen in Generation.objects.filter(state__in=FINAL).prefetch_related("outputs"):
            outs = list(gen.outputs.all())
            if gen.state == State.COMPLETED:
                assert outs, gen.pk
                for out in outs:
                    assert out.file.storage.exists(out.file.name)
                    assert out.thumbnail.storage.exists(out.thumbnail.name)
            else:
                assert gen.failure_code and gen.failure_reason, gen.pk
                assert not outs, gen.pk

    @invariant()
    def no_row_is_pending_with_an_upstream_job(self):
        assert not Generation.objects.filter(Q(state=State.PENDING) & ~Q(upstream_id="")).exists()

    @invariant()
    def no_file_without_its_row(self):
        root = Path(django_settings.MEDIA_ROOT)
        named = set()
        for out in Output.objects.all():
            named |= {out.file.name, out.thumbnail.name}
        for folder in ("outputs", "thumbs"):
            for path in (root / folder).rglob("*") if (root / folder).exists() else []:
                if path.is_file():
                    assert str(path.relative_to(root)) in named, path

    def teardown(self):
        for fn, args in self.handed:
            if fn is polling.fetch_outputs:
                polling.release_download(args[0])


def test_the_job_state_machine_holds_whatever_runs_at_once(
    owner, task_queue, monkeypatch, settings
):
    settings.STUDIO_TRANSITION_HOOKS = ["tests.generations.test_state_machine.watch_transitions"]

    def body_with_marker(gen):
        return {"_generation": gen.pk}

    def patch(provider):
        monkeypatch.setattr(sending, "get_client", lambda: provider)
        monkeypatch.setattr(polling, "get_client", lambda: provider)

    # The real body is tested in test_pipeline.py; here it names the generation, so the
    # fake provider counts POSTs per generation.
    monkeypatch.setattr(sending, "request_body", body_with_marker)
    JobMachine.owner = owner
    JobMachine.patch = staticmethod(patch)
    run_state_machine_as_test(
        JobMachine,
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
