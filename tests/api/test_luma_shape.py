"""The Luma-shaped endpoints through Django's test client: the form's rules, the provider's
statuses and error shape, access, signed output URLs, idempotency, attribution."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from openapi_spec_validator import validate

from studio.accounts.models import ApiToken, upstream_user_id_for
from studio.api import tokens
from studio.generations import services
from studio.generations.models import Generation
from studio.generations.pipeline import request_body
from studio.moderation import suspension
from studio.teams.models import Membership
from studio.usage import budgets
from tests.generations.helpers import complete
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/generations"


def post(client, body, auth, **extra):
    return client.post(URL, json.dumps(body), content_type="application/json", **auth, **extra)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_create_answers_the_upstream_generation_object(client, auth, owner, task_queue):
    response = post(client, {"prompt": "a red kite", "aspect_ratio": "16:9"}, auth)
    assert response.status_code == 201, response.content
    body = response.json()
    gen = Generation.objects.get()
    assert body["id"] == str(gen.pk) and body["state"] == "queued"
    assert body["model"] == "uni-1" and body["type"] == "image"
    assert gen.user == owner and gen.aspect_ratio == "16:9"
    assert gen.api_token == ApiToken.objects.get()
    assert task_queue.names() == ["submit"]


def test_a_completed_generation_has_signed_urls_that_answer_without_a_header(
    client, auth, task_queue
):
    gen_id = post(client, {"prompt": "a red kite"}, auth).json()["id"]
    complete(Generation.objects.get(pk=gen_id))
    body = client.get(f"{URL}/{gen_id}", **auth).json()
    assert body["state"] == "completed"
    url = body["output"][0]["url"]
    assert url.startswith("http://testserver/")
    client.logout()
    image = client.get(url.removeprefix("http://testserver"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    tampered = url.removeprefix("http://testserver")[:-3] + "xyz/"
    assert client.get(tampered).status_code == 404


def test_end_user_is_kept_as_given_and_sent_upstream_only_as_an_opaque_id(
    client, auth, owner, task_queue
):
    post(client, {"prompt": "a red kite", "user_id": "alice@example.com"}, auth)
    gen = Generation.objects.get()
    assert gen.end_user == "alice@example.com"
    sent = request_body(gen)["user_id"]
    assert sent != "alice@example.com" and sent != upstream_user_id_for(owner)
    post(client, {"prompt": "again", "user_id": "alice@example.com"}, auth)
    assert request_body(Generation.objects.first())["user_id"] == sent


def test_an_inline_source_is_checked_as_an_upload(client, auth, task_queue):
    body = {
        "prompt": "make it blue",
        "type": "image_edit",
        "source": {"data": b64(image_bytes("PNG")), "media_type": "image/png"},
        "image_ref": [{"url": "https://example.com/ref.png"}],
    }
    response = post(client, body, auth)
    assert response.status_code == 201, response.content
    gen = Generation.objects.get()
    assert sorted(r.role for r in gen.inputs.all()) == ["reference", "source"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "x", "type": "image_edit"}, "source"),
        (
            {
                "prompt": "x",
                "type": "image_edit",
                "source": {"data": "%%%", "media_type": "image/png"},
            },
            "data",
        ),
        (
            {
                "prompt": "x",
                "type": "image_edit",
                "source": {"data": b64(b"not an image"), "media_type": "image/png"},
            },
            "source",
        ),
        (
            {"prompt": "x", "type": "image_edit", "source": {"data": b64(image_bytes())}},
            "media_type",
        ),
        ({"prompt": "x", "image_ref": [{"url": "https://example.com/a.png"}] * 10}, "image_ref"),
        ({"prompt": "x", "aspect_ratio": "5:4"}, "aspect_ratio"),
        ({"prompt": "x", "type": "video"}, "type"),
        ({"prompt": ""}, "prompt"),
        ({"aspect_ratio": "1:1"}, "prompt"),
        ({"prompt": 7}, "prompt"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_saves_nothing(client, auth, task_queue, body, field):
    response = post(client, body, auth)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert any(field in ".".join(map(str, e["loc"])) for e in detail), detail
    assert not Generation.objects.exists() and not task_queue.calls


def test_malformed_json_is_400_as_described(client, auth, task_queue):
    response = client.post(URL, "{nope", content_type="application/json", **auth)
    assert response.status_code == 400 and "parse" in response.json()["detail"]
    # Described, so that a client (and schemathesis) expects it.
    described = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/generations"]
    assert "400" in described["post"]["responses"]


@pytest.mark.parametrize(
    "header", [None, "Bearer nope", "Bearer studio_pat_" + "a" * 46, "Basic x"]
)
def test_no_valid_token_is_401(client, task_queue, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = post(client, {"prompt": "x"}, extra)
    assert response.status_code == 401 and "detail" in response.json()
    assert client.get(URL, **extra).status_code == 401


def test_revoked_and_expired_tokens_are_401_from_the_next_request(client, auth, token, task_queue):
    assert client.get(URL, **auth).status_code == 200
    row = ApiToken.objects.get()
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(URL, **auth).status_code == 401
    ApiToken.objects.filter(pk=row.pk).update(expires_at=None)
    tokens.revoke(token=row)
    assert client.get(URL, **auth).status_code == 401


def test_anothers_generation_is_404(client, auth, outsider, task_queue):
    theirs = services.create_generation(
        user=outsider,
        data={
            "prompt": "p",
            "type": "image",
            "aspect_ratio": "1:1",
            "style": "auto",
            "model": "uni-1",
            "output_format": "png",
            "web_search": False,
        },
    )
    assert client.get(f"{URL}/{theirs.pk}", **auth).status_code == 404
    assert client.get(f"{URL}/nope", **auth).status_code == 404
    assert client.get(f"{URL}/99999999999999999999999", **auth).status_code == 404
    assert client.get(URL, **auth).json()["data"] == []


def test_list_is_newest_first_with_limit_and_after(client, auth, task_queue):
    ids = [post(client, {"prompt": f"p{i}"}, auth).json()["id"] for i in range(3)]
    page = client.get(f"{URL}?limit=2", **auth).json()
    assert [g["id"] for g in page["data"]] == ids[::-1][:2] and page["has_more"]
    rest = client.get(f"{URL}?limit=2&after={ids[1]}", **auth).json()
    assert [g["id"] for g in rest["data"]] == [ids[0]] and not rest["has_more"]
    assert client.get(f"{URL}?limit=0", **auth).status_code == 422
    assert client.get(f"{URL}?after=abc", **auth).status_code == 422


def test_the_studio_rules_hold(client, auth, owner, settings, task_queue):
    suspension.suspend(user=owner, by=None, reason="spam")
    response = post(client, {"prompt": "x"}, auth)
    assert response.status_code == 403 and "detail" in response.json()
    suspension.lift(user=owner, by=None)
    budgets.set_cap(user=owner, monthly=Decimal("0.01"))
    response = post(client, {"prompt": "x"}, auth)
    assert response.status_code == 402 and "budget" in response.json()["detail"]
    budgets.set_cap(user=owner, monthly=None)
    settings.SUBMIT_RATE_PER_MINUTE = 1
    assert post(client, {"prompt": "x"}, auth).status_code == 201
    response = post(client, {"prompt": "y"}, auth)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert Generation.objects.count() == 1


def test_a_team_token_shares_and_a_viewers_cannot_create(client, member, team, task_queue):
    _, text = tokens.create(user=member, name="t", team=team, expires_days=90)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    assert post(client, {"prompt": "x"}, auth).status_code == 201
    gen = Generation.objects.get()
    assert gen.team == team and gen.billed_team == team
    Membership.objects.filter(user=member).update(role=Membership.Role.VIEWER)
    response = post(client, {"prompt": "y"}, auth)
    assert response.status_code == 403 and "no longer an editor" in response.json()["detail"]
    assert client.get(f"{URL}/{gen.pk}", **auth).status_code == 200


def test_idempotency_key_replays_the_first_answer(client, auth, task_queue):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    first = post(client, {"prompt": "x"}, auth, **key)
    again = post(client, {"prompt": "x"}, auth, **key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Generation.objects.count() == 1 and task_queue.names() == ["submit"]
    other = post(client, {"prompt": "y"}, auth, **key)
    assert other.status_code == 409 and Generation.objects.count() == 1


def test_a_refused_request_does_not_use_up_its_key(client, auth, owner, task_queue):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-2"}
    suspension.suspend(user=owner, by=None, reason="spam")
    assert post(client, {"prompt": "x"}, auth, **key).status_code == 403
    suspension.lift(user=owner, by=None)
    assert post(client, {"prompt": "x"}, auth, **key).status_code == 201


def test_a_body_over_the_cap_is_413_in_the_shape_of_the_endpoint(
    client, auth, settings, task_queue
):
    settings.API_MAX_BODY_BYTES = 1000
    response = post(client, {"prompt": "x" * 2000}, auth)
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_a_body_above_djangos_form_limit_reaches_the_api(client, auth, settings, task_queue):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = b64(image_bytes("PNG", size=(300, 300), color=(1, 2, 3)))
    body = {"prompt": "x", "image_ref": [{"data": big + "", "media_type": "image/png"}]}
    assert len(json.dumps(body)) > 1000
    response = post(client, body, auth)
    assert response.status_code == 201, response.content


def test_the_token_reaches_no_log_line(client, auth, token, caplog, task_queue):
    caplog.set_level(logging.DEBUG)
    post(client, {"prompt": "x"}, auth)
    client.get(URL, HTTP_AUTHORIZATION=f"Token {token}")
    client.get(f"{URL}/nope", **auth)
    assert token not in caplog.text


def test_openapi_and_docs_are_public_and_the_docs_obey_the_csp(client, db):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    validate(spec.json())  # a valid OpenAPI 3.1 description (raises on any fault)
    paths = spec.json()["paths"]
    assert {"/api/v1/generations", "/api/v1/generations/{generation_id}"} <= set(paths)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    policy = docs["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "cdn" not in docs.content.decode().lower()
    # Swagger UI from django-ninja's own files, which the static finders serve.
    assert "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()
    assert finders.find("ninja/swagger-ui-bundle.js")


def test_starting_django_imports_no_api_framework():
    # Every process (the worker too) pays for what its apps import at start-up: ninja
    # brings pydantic and jinja2, about 13 MB, and only the API's views need them.
    probe = (
        "import sys, django; django.setup(); "
        "print(sorted(m for m in ('ninja', 'pydantic', 'jinja2') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studio.settings", "DJANGO_DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_worker_s_start_up_checks_import_no_view():
    # The URL check imports every view, ninja's with them; the worker serves none. (Its
    # qcluster child is started with --skip-checks.) The secret key's check still runs:
    # tests/security/test_startup.py.
    probe = (
        "import sys, django; django.setup(); "
        "from studio.generations.management.commands.studio_worker import Command; "
        "Command().check(); "
        "print(sorted(m for m in ('ninja', 'pydantic', 'studio.urls') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studio.settings", "DJANGO_DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_signed_in_browser_session_is_no_token(owner_client, task_queue):
    response = post(owner_client, {"prompt": "x"}, {})
    assert response.status_code == 401 and not Generation.objects.exists()
