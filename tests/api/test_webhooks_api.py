"""`POST/GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}` with a bearer token."""

from __future__ import annotations

import json

from studio.webhooks.models import Endpoint

BODY = {"url": "https://hooks.partner.example/in", "events": ["generation.completed"]}


def post(client, auth, body):
    return client.post(
        "/api/v1/webhooks", json.dumps(body), content_type="application/json", **auth
    )


def test_create_answers_201_with_the_secret_once(client, auth, owner):
    answer = post(client, auth, BODY)
    assert answer.status_code == 201
    data = answer.json()
    endpoint = Endpoint.objects.get(user=owner)
    assert data["id"] == str(endpoint.pk)
    assert data["secret"] == endpoint.secret and data["secret"].startswith("whsec_")
    assert data["events"] == ["generation.completed"]
    listed = client.get("/api/v1/webhooks", **auth).json()["data"]
    assert [e["url"] for e in listed] == [BODY["url"]]
    assert "secret" not in listed[0]


def test_a_bad_endpoint_is_refused_with_a_detail(client, auth, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for body in [
        {"url": "ftp://x.example/", "events": ["generation.failed"]},
        {"url": "http://127.0.0.1/", "events": ["generation.failed"]},
        {"url": "https://x.example/", "events": ["generation.started"]},
    ]:
        answer = post(client, auth, body)
        assert answer.status_code == 400, body
        assert answer.json()["detail"]
    assert not Endpoint.objects.exists()


def test_delete_and_others_endpoints_are_404(client, auth, owner, outsider):
    mine = Endpoint.objects.create(user=owner, url=BODY["url"], events=BODY["events"])
    theirs = Endpoint.objects.create(user=outsider, url=BODY["url"], events=BODY["events"])
    assert client.delete(f"/api/v1/webhooks/{theirs.pk}", **auth).status_code == 404
    assert client.delete("/api/v1/webhooks/nope", **auth).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{mine.pk}", **auth).status_code == 204
    assert list(Endpoint.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_a_token_is_required(client):
    assert client.get("/api/v1/webhooks").status_code == 401
    assert post(client, {}, BODY).status_code == 401
