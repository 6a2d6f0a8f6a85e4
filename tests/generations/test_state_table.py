"""docs/reliability.md's table of states, walked: every state has a row there, and every
row that is not final is ended by the re-drive once past its bound. A new state (or a new
row in the table) needs its rule here before this passes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from studio.generations import pipeline
from studio.generations.models import Generation, State

from .helpers import make_generation

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(settings.BASE_DIR) / "docs" / "reliability.md"


def table() -> dict[str, str]:
    """Each row of the table: its name -> its state column."""
    text = DOC.read_text()
    section = text.split("## The states and what ends each", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] not in ("row", "---"):
            rows[cells[0]] = cells[1]
    return rows


def _past(seconds: float) -> timezone.datetime:
    return timezone.now() - timedelta(seconds=seconds + 5)


def unsent(owner):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(created_at=_past(settings.PENDING_MAX_SECONDS))
    return gen


def held_back(owner):
    gen = unsent(owner)
    Generation.objects.filter(pk=gen.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=10)
    )
    return gen


def sending(owner):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        submit_claimed_at=_past(settings.STUCK_SUBMIT_SECONDS)
    )
    return gen


def accepted_pending(owner):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        upstream_id="up-1", submit_claimed_at=timezone.now()
    )
    return gen


def at_the_provider(owner):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.QUEUED, upstream_id="up-1", created_at=_past(settings.JOB_MAX_SECONDS)
    )
    return gen


def downloading(owner):
    gen = at_the_provider(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.PROCESSING,
        next_attempt_at=timezone.now() + timedelta(seconds=settings.DOWNLOAD_CLAIM_SECONDS),
    )
    return gen


# Each row that is not final: how to make it past its bound, and the state it ends in.
ENDED_BY_REDRIVE = {
    "unsent": (unsent, (State.FAILED, "timed_out")),
    "held back": (held_back, (State.FAILED, "timed_out")),
    "sending": (sending, (State.FAILED, "submit_interrupted")),
    "accepted, pending": (accepted_pending, (State.QUEUED, "")),
    "at the provider": (at_the_provider, (State.FAILED, "timed_out")),
    "downloading": (downloading, (State.FAILED, "timed_out")),
}
FINAL_ROWS = {"completed", "failed"}


def test_every_state_has_a_row_in_the_table():
    named = set()
    for states in table().values():
        named |= set(re.findall(r"`([a-z_]+)`", states))
    assert set(State.values) <= named


def test_every_row_has_its_rule_here():
    assert set(table()) == set(ENDED_BY_REDRIVE) | FINAL_ROWS


@pytest.mark.parametrize("row", sorted(ENDED_BY_REDRIVE))
def test_each_row_is_ended_past_its_bound(owner, task_queue, row):
    make, ends_as = ENDED_BY_REDRIVE[row]
    gen = make(owner)
    pipeline.redrive()
    gen.refresh_from_db()
    assert (gen.state, gen.failure_code) == ends_as
    if gen.state == State.FAILED:
        assert gen.failure_reason
