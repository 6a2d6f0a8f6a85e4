from __future__ import annotations

from django.db import transaction
from django.test import TestCase

from studio.generations.models import Generation, State
from studio.webhooks import outbox
from tests.generations.helpers import make_generation


def end_job(gen: Generation, state: str = State.COMPLETED, **fields) -> Generation:
    """End `gen` as the pipeline does: the state change and its hooks in one transaction
    (whose on-commit callbacks run, though the test itself runs inside one)."""
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        old = gen.state
        if state == State.FAILED:
            gen.fail(fields.pop("code", "generation_failed"), fields.pop("reason", "it broke"))
        else:
            gen.set_state(state)
        for name, value in fields.items():
            setattr(gen, name, value)
        gen.save()
        outbox.on_transition(gen, old, state)
    return gen


def ended_job(user, state: str = State.COMPLETED, **fields) -> Generation:
    return end_job(make_generation(user), state, **fields)
