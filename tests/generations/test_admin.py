import pytest

from studio.generations.models import Generation, State

from .helpers import make_generation

pytestmark = pytest.mark.django_db


def test_generation_admin_lists_filters_and_opens_a_row(admin_client, owner, task_queue):
    gen = make_generation(
        owner,
        prompt="admin can see me",
        inputs=[{"role": "reference", "url": "https://example.com/r.jpg"}],
    )
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED,
        failure_code="rate_limited",
        failure_reason="slow down",
        request_ids=[{"method": "POST", "request_id": "studio-abc", "status": 429, "at": "x"}],
    )
    listing = admin_client.get("/admin/generations/generation/?state__exact=failed")
    page = listing.content.decode()
    assert listing.status_code == 200
    assert "admin can see me" in page and "rate_limited" in page
    assert (
        admin_client.get("/admin/generations/generation/?state__exact=completed")
        .content.decode()
        .count("admin can see me")
        == 0
    )
    change = admin_client.get(f"/admin/generations/generation/{gen.pk}/change/").content.decode()
    assert "studio-abc" in change  # the X-Request-Ids, for tracing a job across logs
    assert "https://example.com/r.jpg" in change
