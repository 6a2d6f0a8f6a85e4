"""Six API POSTs at once against a budget that fits one: the budget is reserved in the
transaction that saves the row, so at most one is saved and sent (LiteLLM's budgets race
here: BerriAI/litellm#34732)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from studio.generations.models import Generation
from studio.usage import budgets

pytestmark = pytest.mark.django_db(transaction=True)


def test_six_posts_at_once_against_a_budget_for_one(live_server, owner, token, task_queue):
    budgets.set_cap(user=owner, monthly=Decimal("0.05"))  # one uni-1 image is 0.0404
    url = f"{live_server.url}/api/v1/generations"
    headers = {"Authorization": f"Bearer {token}"}
    barrier = __import__("threading").Barrier(6)

    def post(i: int) -> int:
        barrier.wait()
        return requests.post(url, json={"prompt": f"p{i}"}, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(post, range(6)))
    assert statuses.count(201) <= 1 and set(statuses) <= {201, 402}, statuses
    assert Generation.objects.count() == statuses.count(201)
    assert task_queue.names().count("submit") == statuses.count(201)
