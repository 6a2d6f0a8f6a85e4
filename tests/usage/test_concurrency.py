"""A burst of parallel submissions never takes a month past its cap: each submission locks
the budget row while it checks and saves, so the next one sees what the previous saved."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client

from studio.generations.models import Generation
from studio.usage import budgets, prices
from tests.generations.helpers import FORM

from .helpers import team_value

THREADS = 6
CAP = Decimal("0.13")  # room for three 0.0404 images, not four


def _burst(cookies, *, data: dict) -> list[int]:
    """POST the composer from THREADS threads at once; their status codes."""
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def post() -> None:
        client = Client()
        client.cookies = cookies
        barrier.wait()
        try:
            statuses.append(client.post("/generations/", data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


@pytest.fixture
def slow_check(monkeypatch):
    """Widen the gap between reading the month's sum and saving the row, where a
    read-then-write check would let every thread through."""
    real = budgets._standing

    def slow(budget, since):
        standing = real(budget, since)
        time.sleep(0.05)
        return standing

    monkeypatch.setattr(budgets, "_standing", slow)


def _run(client, owner, team, *, for_team: bool) -> None:
    client.force_login(owner)
    data = dict(FORM)
    if for_team:
        budgets.set_cap(team=team, monthly=CAP)
        data["team"] = team_value(team)
    else:
        budgets.set_cap(user=owner, monthly=CAP)
    statuses = _burst(client.cookies, data=data)
    assert sorted(statuses) == [302] * 3 + [400] * (THREADS - 3)
    assert Generation.objects.count() == 3
    held = prices.held(
        user=None if for_team else owner,
        team=team if for_team else None,
        since=prices.month_start(),
    )
    assert held == Decimal("0.1212") <= CAP


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("for_team", [False, True], ids=["person", "team"])
@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_concurrent_posts_never_overshoot(
    client, owner, team, task_queue, slow_check, for_team, vendor
):
    """Run on both CI configurations: SQLite by default, PostgreSQL with DATABASE_URL."""
    if connection.vendor != vendor:
        pytest.skip(f"the {vendor} variant; DATABASE_URL points at {connection.vendor}")
    _run(client, owner, team, for_team=for_team)
