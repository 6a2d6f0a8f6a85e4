"""What the API makes is an ordinary generation that says where it came from: the card, the
detail page, the admin, the review queue and the usage page name the token (and the
end-user its caller gave)."""

from __future__ import annotations

import json

import pytest

from studio.generations.models import Generation, State

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def made(client, auth, task_queue) -> Generation:
    body = {"prompt": "a kite [simulate:content_moderated]", "user_id": "customer-42"}
    response = client.post(
        "/api/v1/generations", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 201
    return Generation.objects.get(pk=response.json()["id"])


def test_the_card_and_the_detail_page_say_via_api_and_the_token(owner_client, made):
    page = owner_client.get("/").content.decode()
    assert 'data-via="api"' in page and "via API · sdk" in page
    detail = owner_client.get(f"/generations/{made.pk}/").content.decode()
    assert "via API · sdk" in detail and "customer-42" in detail


def test_a_card_made_in_the_page_says_nothing_of_the_api(owner_client, owner, task_queue):
    from tests.generations.helpers import make_generation

    make_generation(owner)
    assert 'data-via="api"' not in owner_client.get("/").content.decode()


def test_the_admin_and_the_review_queue_name_the_token_and_the_end_user(
    client, made, django_user_model
):
    Generation.objects.filter(pk=made.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="refused"
    )
    staff = django_user_model.objects.create_superuser("boss", password="pw-boss-123")
    client.force_login(staff)
    assert "via API · sdk" in client.get("/admin/generations/generation/").content.decode()
    queue = client.get("/admin/moderation/moderatedfailure/").content.decode()
    assert "via API · sdk" in queue
    item = client.get(f"/admin/moderation/moderatedfailure/{made.pk}/change/").content.decode()
    assert "customer-42" in item


def test_the_usage_page_splits_spend_by_token_and_end_user(owner_client, made):
    page = owner_client.get("/usage/").content.decode()
    assert 'data-api-token="sdk"' in page and 'data-end-user="customer-42"' in page
