"""The official SDKs, unchanged, against a live studio with the simulator (job time 0) and a
worker in a thread: what a script or a chat front end does with a studio token."""

from __future__ import annotations

import base64
import io
import time

import httpx
import luma_agents
import openai
import pytest
from PIL import Image

from studio.accounts.models import ApiToken
from studio.api import tokens
from studio.generations.models import Generation
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base(live_server) -> str:
    return f"{live_server.url}/api/v1"


def _luma(base, token) -> luma_agents.Luma:
    return luma_agents.Luma(auth_token=token, base_url=base, max_retries=0, timeout=20)


def _openai(base, token) -> openai.OpenAI:
    return openai.OpenAI(api_key=token, base_url=base, max_retries=0, timeout=30)


def _poll(client: luma_agents.Luma, gen_id: str):
    deadline = time.monotonic() + 20
    while True:
        gen = client.generations.get(gen_id)
        if gen.state in ("completed", "failed") or time.monotonic() > deadline:
            return gen
        time.sleep(0.1)


def test_luma_sdk_creates_polls_and_downloads(base, token, worker_thread):
    client = _luma(base, token)
    created = client.generations.create(prompt="a lighthouse", aspect_ratio="16:9")
    assert created.state == "queued" and created.id.isdigit()
    done = _poll(client, created.id)
    assert done.state == "completed", done
    image = httpx.get(done.output[0].url)  # no header: the signed URL is the key
    assert image.status_code == 200
    width, height = Image.open(io.BytesIO(image.content)).size
    assert width > height
    assert Generation.objects.get(pk=created.id).api_token is not None


def test_luma_sdk_edits_an_inline_source(base, token, worker_thread):
    client = _luma(base, token)
    source = base64.b64encode(image_bytes("PNG")).decode()
    created = client.generations.create(
        prompt="make it blue",
        type="image_edit",
        source={"data": source, "media_type": "image/png"},
    )
    assert _poll(client, created.id).state == "completed"


def test_luma_sdk_sees_a_moderated_failure_and_a_refusal(base, token, worker_thread):
    client = _luma(base, token)
    created = client.generations.create(prompt="bad [simulate:content_moderated]")
    failed = _poll(client, created.id)
    assert failed.state == "failed" and failed.failure_code == "content_moderated"
    with pytest.raises(luma_agents.UnprocessableEntityError):
        client.generations.create(prompt="x", type="image_edit")


def test_revoking_a_token_makes_the_sdks_raise_401(base, token, worker_thread):
    tokens.revoke(token=ApiToken.objects.get())
    with pytest.raises(luma_agents.AuthenticationError):
        _luma(base, token).generations.create(prompt="x")
    with pytest.raises(openai.AuthenticationError):
        _openai(base, token).images.generate(model="uni-1", prompt="x")


def test_openai_sdk_generates_a_batch_as_b64_json_and_as_urls(base, token, worker_thread):
    client = _openai(base, token)
    result = client.images.generate(model="uni-1", prompt="two boats", n=2, size="1536x1024")
    assert len(result.data) == 2
    for item in result.data:
        width, height = Image.open(io.BytesIO(base64.b64decode(item.b64_json))).size
        assert width > height and item.revised_prompt == "two boats"
    assert Generation.objects.filter(batch__isnull=False).count() == 2
    urls = client.images.generate(model="uni-1-max", prompt="a boat", response_format="url")
    assert httpx.get(urls.data[0].url).status_code == 200


def test_openai_sdk_edits_a_file(base, token, worker_thread, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(image_bytes("PNG"))
    client = _openai(base, token)
    with path.open("rb") as fh:
        result = client.images.edit(model="uni-1", image=fh, prompt="add a hat")
    assert result.data[0].b64_json
    gen = Generation.objects.get()
    assert gen.type == "image_edit" and gen.inputs.get().role == "source"


def test_openai_sdk_raises_with_the_failure_code(base, token, worker_thread):
    with pytest.raises(openai.BadRequestError) as raised:
        _openai(base, token).images.generate(model="uni-1", prompt="[simulate:content_moderated]")
    assert raised.value.code == "content_moderated"


def test_openai_sdk_lists_the_models(base, token):
    ids = [m.id for m in _openai(base, token).models.list()]
    assert ids == ["uni-1", "uni-1-max"]
