"""Batches: one submit with `count` images makes that many generations, each its own job."""

from __future__ import annotations

import json
import re

import pytest
import responses
from django.utils import timezone

from studio.generations import pipeline
from studio.generations.models import Batch, Generation, State
from tests.htmx import HTMX

from .helpers import FORM, complete, image_bytes, make_generation
from .pipeline_helpers import API, upstream_generation

pytestmark = pytest.mark.django_db

OUT = "https://cdn.test/out/{}.png"


def positions(html: str) -> list[str]:
    return re.findall(r'data-batch-position="(\d+)"', html)


def submit_batch(client, task_queue, capture, count=4, **extra):
    with capture(execute=True):
        response = client.post("/generations/", {**FORM, "count": str(count), **extra}, **HTMX)
    return response


def test_a_batch_of_four_is_four_posts_and_four_cards(
    owner_client, owner, task_queue, real_api, django_capture_on_commit_callbacks
):
    response = submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    body = response.content.decode()
    gens = list(Generation.objects.order_by("batch_position"))
    assert len(gens) == 4
    batch = Batch.objects.get()
    assert [g.batch_id for g in gens] == [batch.pk] * 4
    assert [g.batch_position for g in gens] == [1, 2, 3, 4]
    assert {(g.prompt, g.aspect_ratio) for g in gens} == {("a paper boat", "1:1")}
    # The four new cards, in position order, each with the hooks and "n of 4".
    assert body.count("data-generation-id=") == 4
    assert positions(body) == ["1", "2", "3", "4"]
    assert f'data-batch-id="{batch.pk}"' in body
    assert "1 of 4" in body and "4 of 4" in body
    assert "4 images are on their way" in body

    # Each member is its own upstream job: exactly one POST each, never more.
    ids = iter(f"up-{n}" for n in range(1, 10))
    with responses.RequestsMock() as rsps:

        def created(request):
            return 201, {}, json.dumps(upstream_generation(next(ids)))

        rsps.add_callback(responses.POST, f"{API}/generations", callback=created)
        for name, args in list(task_queue.calls):
            if name == "submit":
                pipeline.submit(*args)
        posts = [c for c in rsps.calls if c.request.method == "POST"]
    assert len(posts) == 4
    assert {json.loads(c.request.body)["prompt"] for c in posts} == {"a paper boat"}
    assert sorted(Generation.objects.values_list("upstream_id", flat=True)) == [
        "up-1",
        "up-2",
        "up-3",
        "up-4",
    ]


def test_one_failing_member_does_not_fail_the_others(
    owner_client, owner, task_queue, real_api, django_capture_on_commit_callbacks
):
    submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks)
    gens = list(Generation.objects.order_by("batch_position"))
    png = image_bytes("PNG", size=(64, 64))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for gen in gens:
            up = f"up-{gen.batch_position}"
            rsps.post(f"{API}/generations", json=upstream_generation(up), status=201)
            pipeline.submit(gen.pk)
            rsps.reset()
        for gen in gens:
            up = f"up-{gen.batch_position}"
            if gen.batch_position == 2:
                answer = upstream_generation(
                    up, state="failed", failure_code="generation_failed", failure_reason="boom"
                )
            else:
                output = [{"type": "image", "url": OUT.format(gen.batch_position)}]
                answer = upstream_generation(up, state="completed", output=output)
                rsps.get(OUT.format(gen.batch_position), body=png, content_type="image/png")
            rsps.get(f"{API}/generations/{up}", json=answer)
        Generation.objects.update(next_attempt_at=timezone.now())
        pipeline.poll_due()
    states = dict(Generation.objects.values_list("batch_position", "state"))
    assert states == {1: "completed", 2: "failed", 3: "completed", 4: "completed"}
    assert Generation.objects.get(batch_position=2).failure_code == "generation_failed"


def test_compare_shows_the_batch_in_order_with_failures_and_retry(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks)
    gens = list(Generation.objects.order_by("batch_position"))
    for gen in gens[:3]:
        complete(gen)
    Generation.objects.filter(pk=gens[3].pk).update(
        state=State.FAILED, failure_code="generation_failed", failure_reason="the model gave up"
    )
    batch = gens[0].batch
    page = owner_client.get(f"/batches/{batch.pk}/").content.decode()
    assert positions(page) == ["1", "2", "3", "4"]
    ids = re.findall(r'class="compare-item[^"]*"[^>]*data-generation-id="(\d+)"', page)
    assert ids == [str(g.pk) for g in gens]
    for gen in gens[:3]:
        assert f"/generations/{gen.pk}/outputs/0/?download=1" in page  # download
        assert f"?edit={gen.pk}&amp;output=0" in page  # edit this image
        assert f"/generations/{gen.pk}/favourite/" in page  # star
    for gen in gens:
        assert f"?remix={gen.pk}" in page
    assert "the model gave up" in page
    assert f"/generations/{gens[3].pk}/retry/" in page
    # Each detail page links to its compare page.
    detail = owner_client.get(f"/generations/{gens[1].pk}/").content.decode()
    assert f'href="/batches/{batch.pk}/"' in detail and "2 of 4" in detail


def test_compare_is_404_for_an_outsider(
    client, owner, outsider, task_queue, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    submit_batch(client, task_queue, django_capture_on_commit_callbacks, count=2)
    batch = Batch.objects.get()
    client.force_login(outsider)
    assert client.get(f"/batches/{batch.pk}/").status_code == 404
    assert client.get("/batches/999999/").status_code == 404


def test_gallery_keeps_a_batch_together_in_order(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    make_generation(owner, prompt="before")
    submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks, count=3)
    make_generation(owner, prompt="after")
    page = owner_client.get("/").content.decode()
    assert positions(page) == ["1", "2", "3"]
    order = re.findall(r'data-generation-id="(\d+)"', page)
    members = [str(g.pk) for g in Generation.objects.exclude(batch=None).order_by("batch_position")]
    start = order.index(members[0])
    assert order[start : start + 3] == members
    assert "2 of 3" in page


@pytest.mark.parametrize("count", ["0", "5", "-1", "100"])
def test_count_outside_one_to_four_is_refused_with_a_message(
    owner_client, owner, task_queue, count, django_capture_on_commit_callbacks
):
    for headers in ({}, HTMX):
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post("/generations/", {**FORM, "count": count}, **headers)
        assert response.status_code == 400
        body = response.content.decode()
        assert "Ask for 1 to 4 images at once" in body
        assert 'id="composer-form"' in body  # the form comes back, for htmx swapped in
    assert Generation.objects.count() == 0 and Batch.objects.count() == 0
    assert task_queue.calls == []


def test_batch_max_comes_from_the_setting(
    owner_client, owner, task_queue, settings, django_capture_on_commit_callbacks
):
    settings.BATCH_MAX = 6
    assert (
        submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks, 6).status_code
        == 200
    )
    assert Generation.objects.count() == 6
    page = owner_client.get("/").content.decode()
    assert re.search(r'<input[^>]*name="count"[^>]*max="6"', page)


def test_count_one_makes_no_batch(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks, count=1)
    gen = Generation.objects.get()
    assert gen.batch_id is None and Batch.objects.count() == 0
    assert "data-batch-id" not in owner_client.get("/").content.decode()


def test_the_form_labels_the_count_images_and_multiplies_the_price(owner_client, owner):
    page = owner_client.get("/").content.decode()
    assert re.search(r'<label[^>]*for="id_count"[^>]*>Images', page)
    assert "data-price-times hidden" in page
    data = {**FORM, "count": "3", "prompt": ""}
    body = owner_client.post("/generations/", data).content.decode()
    # One image is $0.0404 (uni-1, no references): three are shown as such.
    assert re.search(
        r"× <span data-price-count>3</span> images = <strong data-price-total>\$0\.12<", body
    )


def test_retry_of_a_failed_member_takes_its_place(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    submit_batch(owner_client, task_queue, django_capture_on_commit_callbacks)
    failed = Generation.objects.get(batch_position=3)
    Generation.objects.filter(pk=failed.pk).update(
        state=State.FAILED, failure_code="generation_failed"
    )
    task_queue.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        body = owner_client.post(f"/generations/{failed.pk}/retry/", **HTMX).content.decode()
    new = Generation.objects.get(retry_of=failed)
    assert (new.batch_id, new.batch_position) == (failed.batch_id, 3)
    assert 'data-batch-position="3"' in body
    failed.refresh_from_db()
    assert failed.batch_id is None  # it left the slot; the batch has one image per position
    # The failed card on the page is drawn again without its place in the batch, so two
    # cards never say "3 of 4" until the page is reloaded.
    redrawn = re.search(rf'<article[^>]*data-generation-id="{failed.pk}"[^>]*>', body)
    assert redrawn and 'hx-swap-oob="true"' in redrawn.group(0)
    assert "data-batch-position" not in redrawn.group(0)
    assert body.count(" of 4</a>") == 1
    page = owner_client.get(f"/batches/{new.batch_id}/").content.decode()
    assert positions(page) == ["1", "2", "3", "4"]
    assert f'data-generation-id="{new.pk}"' in page
    assert f'data-generation-id="{failed.pk}"' not in page
    assert task_queue.calls == [("submit", (new.pk,))]
