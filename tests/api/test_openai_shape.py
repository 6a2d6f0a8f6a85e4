"""The OpenAI-shaped endpoints through Django's test client: sizes, batches, the error
envelope, the wait's 504, idempotency. (The SDK itself runs in test_sdks.py.)"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from studio.generations.models import Generation
from studio.usage import budgets
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)
GEN = "/api/v1/images/generations"


@pytest.fixture(autouse=True)
def _short_wait(settings):
    settings.API_WAIT_SECONDS = 2  # no worker runs here: what is made is never final


def post(client, body, auth, **extra):
    return client.post(GEN, json.dumps(body), content_type="application/json", **auth, **extra)


def error_of(response) -> dict:
    return response.json()["error"]


@pytest.mark.parametrize(
    ("size", "ratio"),
    [
        ("1024x1024", "1:1"),
        ("1536x1024", "3:2"),
        ("1792x1024", "16:9"),
        ("1024x1792", "9:16"),
        ("auto", "1:1"),
        (None, "1:1"),
    ],
)
def test_size_becomes_the_nearest_ratio(client, auth, settings, task_queue, size, ratio):
    settings.API_WAIT_SECONDS = 0
    post(client, {"prompt": "x", "size": size, "quality": "hd", "style": "vivid"}, auth)
    assert Generation.objects.get().aspect_ratio == ratio


def test_waiting_past_the_limit_is_504_timeout_and_the_job_goes_on(
    client, auth, settings, task_queue
):
    settings.API_WAIT_SECONDS = 0.2
    response = post(client, {"prompt": "x", "n": 2}, auth)
    assert response.status_code == 504
    assert error_of(response)["code"] == "timeout" and response["x-should-retry"] == "false"
    assert Generation.objects.count() == 2 and task_queue.names() == ["submit", "submit"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": "x", "n": 9}, "n"),
        ({"prompt": "x", "n": 0}, "n"),
        ({"prompt": "x", "model": "dall-e-3"}, "model"),
        ({"prompt": "x", "size": "big"}, "size"),
        ({"prompt": "x", "response_format": "gif"}, "response_format"),
        ({"prompt": "x", "output_format": "webp"}, "output_format"),
        ({"n": 1}, "prompt"),
    ],
)
def test_bad_input_is_400_in_openais_envelope(client, auth, task_queue, body, param):
    response = post(client, body, auth)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert param in error["message"]
    assert not Generation.objects.exists()


def test_no_token_is_401_in_openais_envelope(client, db):
    response = post(client, {"prompt": "x"}, {})
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_api_key"
    assert client.get("/api/v1/models").status_code == 401


def test_over_budget_is_429_insufficient_quota_not_to_be_retried(client, auth, owner, task_queue):
    budgets.set_cap(user=owner, monthly=Decimal("0.01"))
    response = post(client, {"prompt": "x"}, auth)
    assert response.status_code == 429 and response["x-should-retry"] == "false"
    assert error_of(response)["code"] == "insufficient_quota"


def test_idempotency_key_reused_with_another_body(client, auth, settings, task_queue):
    settings.API_WAIT_SECONDS = 0
    key = {"HTTP_IDEMPOTENCY_KEY": "same"}
    assert post(client, {"prompt": "x"}, auth, **key).status_code == 504
    assert post(client, {"prompt": "x"}, auth, **key).status_code == 504
    assert Generation.objects.count() == 1
    response = post(client, {"prompt": "y"}, auth, **key)
    assert response.status_code == 400 and error_of(response)["code"] == "idempotency_key_reused"


def test_edits_need_an_image_and_take_image_brackets(client, auth, settings, task_queue):
    settings.API_WAIT_SECONDS = 0
    response = client.post("/api/v1/images/edits", {"prompt": "x"}, **auth)
    assert response.status_code == 400 and error_of(response)["param"] == "image"
    files = [_upload("a.png"), _upload("b.png")]
    response = client.post("/api/v1/images/edits", {"prompt": "x", "image[]": files}, **auth)
    assert response.status_code == 504
    gen = Generation.objects.get()
    assert gen.type == "image_edit"
    assert sorted(r.role for r in gen.inputs.all()) == ["reference", "source"]


def test_an_undecodable_image_is_400_naming_it(client, auth, task_queue):
    bad = _upload("x.png", b"not an image")
    response = client.post("/api/v1/images/edits", {"prompt": "x", "image": bad}, **auth)
    assert response.status_code == 400 and error_of(response)["param"] == "image"
    assert not Generation.objects.exists()


def _upload(name: str, content: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content or image_bytes("PNG"), "image/png")
