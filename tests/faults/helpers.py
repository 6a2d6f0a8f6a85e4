"""What every fault test does: make generations, wait for a condition with a generous
timeout, and print a recovery time against the suite's ceiling."""

from __future__ import annotations

import time

from studio.generations import services
from studio.generations.models import FINAL, Generation
from tests.generations.helpers import DEFAULTS

from .conftest import CEILING


def create(owner, prompt: str, n: int = 1) -> list[Generation]:
    return [
        services.create_generation(user=owner, data={**DEFAULTS, "prompt": f"{prompt} #{i}"})
        for i in range(n)
    ]


def wait(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started


def finished(gens: list[Generation]) -> bool:
    ids = [g.pk for g in gens]
    return Generation.objects.filter(pk__in=ids, state__in=FINAL).count() == len(ids)


def report(label: str, seconds: float) -> None:
    print(f"\n[faults] {label}: recovered in {seconds:.1f} s (ceiling {CEILING:.0f} s)")
    assert seconds <= CEILING
