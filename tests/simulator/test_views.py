"""The simulator speaks the Luma Agents API wire format and fails on request."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image, ImageStat

from studio.simulator import render
from studio.simulator.models import SimulatedJob
from studio.simulator.triggers import ALWAYS_HTTP_TRIGGERS, FAILURE_REASONS
from studio.upstream import facts
from studio.upstream.client import LumaClient
from studio.upstream.errors import DownloadError, UpstreamError

pytestmark = pytest.mark.django_db

URL = "/simulator/v1/generations"
GENERATION_KEYS = {
    "id",
    "created_at",
    "model",
    "state",
    "type",
    "failure_code",
    "failure_reason",
    "output",
}


AUTH = {"Authorization": "Bearer sk-any-key-will-do"}


@pytest.fixture(autouse=True)
def _served_over_http(settings):
    # The simulator answers HTTP only while DEBUG is on (as under `make run`); with DEBUG
    # off only in-process calls reach it (tests/security/test_simulator_exposure.py).
    settings.DEBUG = True


@pytest.fixture
def client():
    """Django's test client, sending a bearer key as every API client must."""
    return Client(headers=AUTH)


def post(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


def get(client, job_id: str, **headers):
    return client.get(f"{URL}/{job_id}", headers=headers)


@pytest.mark.parametrize("auth", [None, "Bearer ", "Basic abc"])
def test_no_bearer_key_is_401(db, auth):
    bare = Client(headers={"Authorization": auth} if auth else {})
    response = post(bare, {"prompt": "x"})
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]
    assert bare.get(f"{URL}/whatever").status_code == 401


def png_b64(colour=(255, 0, 0), size=(64, 48)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def inline(colour=(255, 0, 0)) -> dict:
    return {"data": png_b64(colour), "media_type": "image/png"}


def assert_generation(data: dict, state: str, host: str = "http://testserver") -> None:
    """The exact shape of a Generation, per the reference."""
    assert set(data) == GENERATION_KEYS
    assert isinstance(data["id"], str) and len(data["id"]) == 36
    created = data["created_at"]
    assert isinstance(created, str)
    assert datetime.fromisoformat(created).tzinfo is not None
    assert data["model"] in facts.MODELS
    assert data["type"] in facts.TYPES
    assert data["state"] == state
    if state == "failed":
        assert data["failure_code"] in facts.UPSTREAM_FAILURE_CODES
        assert isinstance(data["failure_reason"], str) and data["failure_reason"]
    else:
        assert data["failure_code"] is None
        assert data["failure_reason"] is None
    if state == "completed":
        assert len(data["output"]) == 1
        (item,) = data["output"]
        assert set(item) == {"type", "url"}
        assert item["type"] == "image"
        assert item["url"].startswith(f"{host}/simulator/v1/files/{data['id']}/0.")
    else:
        assert data["output"] == []


def download(client, url: str):
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def create_completed(client, **body) -> dict:
    created = post(client, {"prompt": "a red fox", **body})
    assert created.status_code == 201, created.content
    data = get(client, created.json()["id"]).json()
    assert data["state"] == "completed"
    return data


# -- the Generation object and its timeline ------------------------------------------------
def test_create_answers_201_with_a_queued_generation(client):
    response = post(client, {"prompt": "A glass of iced coffee", "model": "uni-1-max"})

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    data = response.json()
    # Upstream answers the POST with the submitted job, even when it finishes at once.
    assert_generation(data, "queued")
    assert data["model"] == "uni-1-max"
    assert data["type"] == "image"
    job = SimulatedJob.objects.get(pk=data["id"])
    assert job.prompt == "A glass of iced coffee"
    assert (job.aspect_ratio, job.style, job.output_format) == ("1:1", "auto", "png")


def test_state_moves_from_queued_to_processing_to_completed(client, settings):
    settings.SIMULATOR_SECONDS = 100
    job_id = post(client, {"prompt": "slow"}).json()["id"]
    job = SimulatedJob.objects.get(pk=job_id)

    assert_generation(get(client, job_id).json(), "queued")

    job.created_at -= timedelta(seconds=30)  # past the first quarter
    job.save()
    assert_generation(get(client, job_id).json(), "processing")

    job.created_at -= timedelta(seconds=71)
    job.save()
    assert_generation(get(client, job_id).json(), "completed")


def test_timeline_reads_the_setting_at_request_time(client, settings):
    settings.SIMULATOR_SECONDS = 1000
    job_id = post(client, {"prompt": "x"}).json()["id"]
    assert get(client, job_id).json()["state"] == "queued"
    settings.SIMULATOR_SECONDS = 0
    assert get(client, job_id).json()["state"] == "completed"


def test_failed_generation_is_processing_until_the_end(client, settings):
    settings.SIMULATOR_SECONDS = 100
    job_id = post(client, {"prompt": "[simulate:generation_failed]"}).json()["id"]
    SimulatedJob.objects.filter(pk=job_id).update(
        created_at=SimulatedJob.objects.get(pk=job_id).created_at - timedelta(seconds=50)
    )
    assert_generation(get(client, job_id).json(), "processing")


def test_unknown_generation_is_404(client):
    response = get(client, "9d5e7c1a-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json() == {"detail": "Generation not found"}
    assert response["X-Request-Id"]


def test_unknown_path_and_wrong_method_answer_json(client):
    missing = client.get("/simulator/v1/videos")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong = client.delete(f"{URL}/abc")
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}
    assert wrong["Allow"] == "GET"


# -- X-Request-Id --------------------------------------------------------------------------
def test_request_id_is_echoed_on_success_and_on_errors(client):
    ok = post(client, {"prompt": "x"}, **{"X-Request-Id": "studio-abc-123"})
    assert ok["X-Request-Id"] == "studio-abc-123"
    bad = post(client, {}, **{"X-Request-Id": "studio-bad-1"})
    assert bad.status_code == 400
    assert bad["X-Request-Id"] == "studio-bad-1"
    missing = get(client, "nope", **{"X-Request-Id": "studio-404"})
    assert missing["X-Request-Id"] == "studio-404"


def test_request_id_is_generated_when_not_sent(client):
    first = post(client, {"prompt": "x"})["X-Request-Id"]
    second = post(client, {"prompt": "x"})["X-Request-Id"]
    assert first and second and first != second


# -- failure triggers ----------------------------------------------------------------------
@pytest.mark.parametrize("code", facts.UPSTREAM_FAILURE_CODES)
def test_failure_code_trigger_fails_the_job(client, code):
    created = post(client, {"prompt": f"a cat [simulate:{code}] on a mat"})
    assert created.status_code == 201
    assert created.json()["state"] == "queued"

    data = get(client, created.json()["id"]).json()

    assert_generation(data, "failed")
    assert data["failure_code"] == code
    assert data["failure_reason"] == FAILURE_REASONS[code]


def test_each_failure_code_has_its_own_reason():
    reasons = [FAILURE_REASONS[code] for code in facts.UPSTREAM_FAILURE_CODES]
    assert len(set(reasons)) == len(reasons)


def test_http_429_answers_once_with_retry_after(client):
    body = {"prompt": "busy [simulate:http_429]", "user_id": "u-1"}

    first = post(client, body)
    assert first.status_code == 429
    assert first["Retry-After"] == "1"
    assert "Rate limit" in first.json()["detail"]
    assert first["X-Request-Id"]

    retry = post(client, body)
    assert retry.status_code == 201
    assert_generation(retry.json(), "queued")
    # Once per (user_id, prompt): another end-user's identical prompt is limited too.
    assert post(client, {**body, "user_id": "u-2"}).status_code == 429


@pytest.mark.parametrize("status", [502, 503])
def test_http_5xx_trigger_answers_once(client, status):
    body = {"prompt": f"flaky [simulate:http_{status}]"}
    first = post(client, body)
    assert first.status_code == status
    assert first.json()["detail"]
    assert post(client, body).status_code == 201


@pytest.mark.parametrize("status", sorted(ALWAYS_HTTP_TRIGGERS))
def test_http_4xx_trigger_always_answers(client, status):
    body = {"prompt": f"doomed [simulate:http_{status}]"}
    for _ in range(2):
        response = post(client, body)
        assert response.status_code == status
        assert response.json()["detail"] == ALWAYS_HTTP_TRIGGERS[status]
    assert not SimulatedJob.objects.exists()


def test_402_says_insufficient_credits(client):
    response = post(client, {"prompt": "[simulate:http_402]"})
    assert response.status_code == 402
    assert "Insufficient credits" in response.json()["detail"]


def test_http_trigger_and_failure_code_combine(client):
    body = {"prompt": "[simulate:http_502] [simulate:content_moderated]"}
    assert post(client, body).status_code == 502
    job_id = post(client, body).json()["id"]
    assert get(client, job_id).json()["failure_code"] == "content_moderated"


# -- validation ----------------------------------------------------------------------------
def refs(n: int) -> list[dict]:
    return [{"url": f"https://example.com/{i}.png"} for i in range(n)]


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({}, 400, "prompt: field required"),
        ({"prompt": None}, 400, "prompt: field required"),
        ({"prompt": 42}, 400, "prompt: must be a string"),
        ({"prompt": ""}, 400, "prompt: must be 1 to 6000 characters"),
        ({"prompt": "x" * 6001}, 400, "prompt: must be 1 to 6000 characters (got 6001)"),
        ({"prompt": "x", "aspect_ratio": "4:3"}, 400, "aspect_ratio: must be one of"),
        ({"prompt": "x", "style": "anime"}, 400, "style: must be one of auto, manga"),
        ({"prompt": "x", "model": "uni-2"}, 400, "model: must be one of"),
        ({"prompt": "x", "output_format": "webp"}, 400, "output_format: must be one of"),
        ({"prompt": "x", "type": "video"}, 400, "type: must be one of"),
        ({"prompt": "x", "aspect_ratio": 1}, 400, "aspect_ratio: must be one of"),
        ({"prompt": "x", "web_search": "yes"}, 400, "web_search: must be a boolean"),
        ({"prompt": "x", "user_id": 7}, 400, "user_id: must be a string"),
        ({"prompt": "x", "image_ref": {"url": "https://e.com/a.png"}}, 400, "image_ref: must"),
        ({"prompt": "x", "image_ref": ["https://e.com/a.png"]}, 400, "image_ref[0]: must"),
        ({"prompt": "x", "image_ref": refs(10)}, 400, "image_ref: at most 9 images"),
        (
            {"prompt": "x", "type": "image_edit", "source": inline(), "image_ref": refs(9)},
            422,
            "image_ref: at most 8 images with type image_edit",
        ),
        ({"prompt": "x", "type": "image_edit"}, 422, "source: required when type is image_edit"),
        (
            {"prompt": "x", "source": {"url": "https://e.com/a.png", **inline()}},
            422,
            "source: provide either url or data, not both",
        ),
        ({"prompt": "x", "image_ref": [{}]}, 422, "image_ref[0]: provide either url or data"),
        (
            {"prompt": "x", "image_ref": [{"data": png_b64()}]},
            422,
            "image_ref[0].media_type: required with data",
        ),
        (
            {"prompt": "x", "image_ref": [{"data": png_b64(), "media_type": "image/gif"}]},
            422,
            "image_ref[0].media_type: must be one of image/jpeg, image/png, image/webp",
        ),
        (
            {"prompt": "x", "source": {"data": "not base64!!", "media_type": "image/png"}},
            422,
            "source.data: invalid base64",
        ),
        (
            {"prompt": "x", "image_ref": [{"url": "ftp://e.com/a.png"}]},
            422,
            "image_ref[0].url: must be an http(s) URL",
        ),
        ({"prompt": "x", "source": {"url": 5}}, 400, "source.url: must be a string"),
    ],
)
def test_invalid_requests_are_rejected(client, body, status, detail):
    response = post(client, body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith(detail)
    assert not SimulatedJob.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "x" * 6000},
        {"prompt": "x", "image_ref": refs(9)},
        {"prompt": "x", "type": "image_edit", "source": inline(), "image_ref": refs(8)},
        {"prompt": "x", "type": "image_edit", "source": {"url": "https://e.com/a.png"}},
        {"prompt": "x", "web_search": True, "user_id": "u-1", "aspect_ratio": None},
        {"prompt": "x", "unknown_field": {"ignored": True}, "n": 4},
    ],
)
def test_valid_edge_requests_are_accepted(client, body):
    assert post(client, body).status_code == 201


def test_malformed_json_is_400(client):
    response = client.post(URL, data="{prompt: ", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Request body is not valid JSON"}
    array = client.post(URL, data="[1]", content_type="application/json")
    assert array.status_code == 400
    assert array.json() == {"detail": "Request body must be a JSON object"}


def test_inline_image_over_50_mb_is_413(client):
    # Real size: the simulator must also get past Django's 10 MB body limit to say 413.
    data = base64.b64encode(bytes(facts.INLINE_MAX_BYTES + 1)).decode()
    response = post(
        client, {"prompt": "x", "image_ref": [{"data": data, "media_type": "image/png"}]}
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("image_ref[0]: image is 52428801 bytes")


def test_inline_image_at_the_limit_passes_the_size_check(client, monkeypatch):
    monkeypatch.setattr(facts, "INLINE_MAX_BYTES", 30)
    at_limit = base64.b64encode(bytes(30)).decode()
    over = base64.b64encode(bytes(31)).decode()
    ok = post(client, {"prompt": "x", "image_ref": [{"data": at_limit, "media_type": "image/png"}]})
    assert ok.status_code == 201
    too_big = post(
        client, {"prompt": "x", "image_ref": [{"data": over, "media_type": "image/png"}]}
    )
    assert too_big.status_code == 413


# -- output URLs ---------------------------------------------------------------------------
def test_output_url_serves_the_image_and_caches_it(client, monkeypatch):
    data = create_completed(client, aspect_ratio="3:1", output_format="jpeg")
    url = data["output"][0]["url"]
    parts = urlsplit(url)
    assert parts.path == f"/simulator/v1/files/{data['id']}/0.jpg"
    assert set(parse_qs(parts.query)) == {"expires", "signature"}

    response, content = download(client, url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert int(response["Content-Length"]) == len(content)
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert image.size == (2048, 683)
    assert default_storage.exists(f"simulator/{data['id']}/0.jpg")

    # A second download comes from storage, not from a new render.
    def no_render(**kwargs):
        raise AssertionError("rendered twice")

    monkeypatch.setattr(render, "render_image", no_render)
    again, again_content = download(client, url)
    assert again.status_code == 200
    assert again_content == content


def test_output_url_expires(client, settings):
    settings.SIMULATOR_URL_EXPIRY_SECONDS = 0
    url = create_completed(client)["output"][0]["url"]
    response, content = download(client, url)
    assert response.status_code == 403
    assert b"<Code>AccessDenied</Code>" in content
    assert b"Request has expired" in content


def test_output_url_expiry_counts_from_completion(client, settings):
    settings.SIMULATOR_URL_EXPIRY_SECONDS = 3600
    data = create_completed(client)
    SimulatedJob.objects.filter(pk=data["id"]).update(
        created_at=SimulatedJob.objects.get(pk=data["id"]).created_at - timedelta(hours=2)
    )
    url = get(client, data["id"]).json()["output"][0]["url"]
    assert download(client, url)[0].status_code == 403


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("signature=", "signature=0"),
        lambda url: url.replace("expires=", "expires=9"),
        lambda url: url.replace("/0.png", "/1.png"),
        lambda url: url.split("?")[0],
    ],
)
def test_tampered_output_url_is_403(client, tamper):
    url = create_completed(client)["output"][0]["url"]
    response, content = download(client, tamper(url))
    assert response.status_code == 403
    assert b"AccessDenied" in content


def test_missing_output_completes_but_its_url_is_404(client):
    data = create_completed(client, prompt="gone [simulate:missing_output]")
    assert_generation(data, "completed")
    response, content = download(client, data["output"][0]["url"])
    assert response.status_code == 404
    assert b"NoSuchKey" in content


def test_manga_style_reaches_the_rendered_output(client):
    data = create_completed(client, style="manga", aspect_ratio="1:1")
    response, content = download(client, data["output"][0]["url"])
    image = Image.open(io.BytesIO(content))
    assert image.size == (2048, 2048)
    # Black ink on white paper: no colour anywhere.
    assert ImageStat.Stat(image.convert("HSV").getchannel("S")).extrema[0] == (0, 0)


def test_edit_output_is_built_on_the_inline_source(client):
    data = create_completed(
        client,
        type="image_edit",
        aspect_ratio="2:1",
        source=inline(colour=(0, 200, 0)),
    )
    job = SimulatedJob.objects.get(pk=data["id"])
    assert job.source == {
        "media_type": "image/png",
        "bytes": len(base64.b64decode(png_b64((0, 200, 0)))),
    }
    response, content = download(client, data["output"][0]["url"])
    image = Image.open(io.BytesIO(content))
    assert image.size == (2048, 1024)
    red, green, blue = ImageStat.Stat(image.convert("RGB")).mean
    assert green > red + 40 and green > blue + 40


# -- through the real client ---------------------------------------------------------------
# transaction=True: the in-process WSGI call fires request_started, whose
# close_old_connections closes the caller's connection, which would end the test's
# wrapping transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("aspect_ratio", "output_format", "size", "pil_format"),
    [("16:9", "png", (2048, 1152), "PNG"), ("9:16", "jpeg", (1152, 2048), "JPEG")],
)
def test_real_client_creates_polls_and_downloads(aspect_ratio, output_format, size, pil_format):
    client = LumaClient()
    created = client.create_generation(
        {
            "prompt": "A lighthouse at dusk",
            "aspect_ratio": aspect_ratio,
            "output_format": output_format,
            "user_id": "3f1c2b9e-user",
        },
        request_id="studio-test-1",
    )
    assert created["state"] == "queued"

    polled = client.get_generation(created["id"], request_id="studio-test-2")
    assert_generation(polled, "completed", host="http://simulator.studio.internal")

    with client.download(polled["output"][0]["url"]) as fh:
        image = Image.open(fh)
        image.load()
    assert image.format == pil_format
    assert image.size == size
    assert max(image.size) == facts.OUTPUT_LONG_SIDE


@pytest.mark.django_db(transaction=True)
def test_real_client_sees_triggers_as_typed_errors():
    client = LumaClient()
    with pytest.raises(UpstreamError) as limited:
        client.create_generation({"prompt": "[simulate:http_429]"}, request_id="studio-429")
    assert limited.value.status == 429
    assert limited.value.retryable
    assert limited.value.retry_after == 1.0
    assert limited.value.request_id == "studio-429"

    with pytest.raises(UpstreamError) as credits:
        client.create_generation({"prompt": "[simulate:http_402]"}, request_id="studio-402")
    assert credits.value.status == 402
    assert not credits.value.retryable
    assert "Insufficient credits" in credits.value.detail

    job = client.create_generation({"prompt": "[simulate:missing_output]"}, request_id="r")
    polled = client.get_generation(job["id"], request_id="r")
    with pytest.raises(DownloadError) as missing:
        client.download(polled["output"][0]["url"])
    assert missing.value.status == 404
