"""The per-person submit rate limit (STUDIO_SUBMIT_RATE_PER_MINUTE): counted from the
database, answered with 429, Retry-After and a message in the form; nothing saved or sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.generations import gate
from studio.generations.models import Generation
from tests.generations.helpers import DEFAULTS, make_generation
from tests.htmx import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):
    settings.SUBMIT_RATE_PER_MINUTE = 3
    return 3


def post(client, **extra):
    return client.post("/generations/", {**DEFAULTS, "prompt": "by script"}, **extra)


def backdate(gen: Generation, seconds: float) -> None:
    Generation.objects.filter(pk=gen.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_default_is_thirty_a_minute():
    from django.conf import settings

    assert settings.SUBMIT_RATE_PER_MINUTE == 30


def test_over_the_limit_is_429_with_retry_after_and_nothing_saved_or_sent(
    owner_client, owner, limit, task_queue
):
    for _ in range(limit):
        assert post(owner_client).status_code == 302
    sent = len(task_queue.calls)
    response = post(owner_client)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    text = response.content.decode()
    assert "Too many submissions: at most 3 images a minute" in text
    assert 'id="composer-form"' in text
    assert Generation.objects.filter(user=owner).count() == limit
    assert len(task_queue.calls) == sent


def test_htmx_gets_the_form_swapped_in_with_the_same_status(owner_client, limit, task_queue):
    for _ in range(limit):
        post(owner_client, **HTMX)
    response = post(owner_client, **HTMX)
    assert response.status_code == 429
    assert response["HX-Retarget"] == "#composer-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert "Retry-After" in response
    assert "Too many submissions" in response.content.decode()


def test_the_window_slides_and_retry_after_says_when(owner, limit, task_queue):
    gens = [make_generation(owner) for _ in range(limit)]
    backdate(gens[0], 50)
    for g in gens[1:]:
        backdate(g, 20)
    # The oldest leaves the window in about 10 s: room for one then.
    assert 9 <= gate.submit_wait_seconds(user=owner, n=1) <= 11
    # Room for two only when the next ones leave, in about 40 s.
    assert 39 <= gate.submit_wait_seconds(user=owner, n=2) <= 41
    backdate(gens[0], 61)
    assert gate.submit_wait_seconds(user=owner, n=1) == 0


def test_a_batch_counts_its_size(owner, limit, task_queue):
    make_generation(owner)
    assert gate.submit_wait_seconds(user=owner, n=2) == 0
    assert gate.submit_wait_seconds(user=owner, n=3) > 0
    # More than the limit at once can never pass: the longest wait, not zero.
    assert gate.submit_wait_seconds(user=owner, n=4) == 60


def test_each_person_has_their_own_allowance(owner, member, owner_client, limit, task_queue):
    for _ in range(limit):
        make_generation(owner)
    assert post(owner_client).status_code == 429
    assert gate.submit_wait_seconds(user=member, n=1) == 0


def test_retry_counts_too(owner_client, owner, limit, task_queue):
    from tests.security.helpers import failed

    broken = failed(owner, code="generation_failed", reason="try again")
    for _ in range(limit - 1):
        make_generation(owner)
    response = owner_client.post(f"/generations/{broken.pk}/retry/")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert Generation.objects.filter(retry_of=broken).count() == 0


def test_rows_counted_come_from_the_database_not_this_process(owner, limit, task_queue):
    # Rows another web process created are in the same table: they count.
    Generation.objects.bulk_create(
        [Generation(user=owner, **DEFAULTS, estimated_price=0) for _ in range(limit)]
    )
    assert gate.submit_wait_seconds(user=owner, n=1) > 0


def test_a_batch_posted_over_the_limit_is_refused_whole(owner_client, owner, limit, task_queue):
    make_generation(owner)
    response = owner_client.post("/generations/", {**DEFAULTS, "count": "3"})
    assert response.status_code == 429
    assert Generation.objects.filter(user=owner).count() == 1  # none of the three saved
    assert owner_client.post("/generations/", {**DEFAULTS, "count": "2"}).status_code == 302
    assert Generation.objects.filter(user=owner).count() == 3
