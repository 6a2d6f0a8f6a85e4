"""The gallery, the detail view and the actions, through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations import gallery
from studio.generations.models import Generation, Output, State

from .helpers import form_values, image_bytes, make_generation

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def complete(gen, size=(64, 36)):
    out = Output(
        generation=gen, position=0, media_type="image/png", width=size[0], height=size[1], bytes=10
    )
    out.file.save(f"{gen.pk}.png", ContentFile(image_bytes("PNG", size)), save=False)
    out.thumbnail.save(f"{gen.pk}.webp", ContentFile(image_bytes("WEBP", size)), save=False)
    out.save()
    Generation.objects.filter(pk=gen.pk).update(state=State.COMPLETED, completed_at=timezone.now())
    gen.refresh_from_db()
    return gen


def fill(user, n, **kw):
    now = timezone.now()
    gens = []
    for i in range(n):
        gen = make_generation(user, prompt=f"item {i}", **kw)
        Generation.objects.filter(pk=gen.pk).update(created_at=now - timedelta(minutes=n - i))
        gens.append(gen)
    return gens


def page_queries(client, url="/"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx


def test_gallery_query_count_is_the_same_for_5_and_50_items(owner_client, owner, task_queue):
    gens = fill(owner, 5)
    for g in gens[:3]:
        complete(g)
    few, _ = page_queries(owner_client)
    more = fill(owner, 45)
    for g in more[:30]:
        complete(g)
    many, _ = page_queries(owner_client)
    assert few == many
    assert 0 < few < 15


def test_load_more_uses_a_keyset_cursor_not_offset(owner_client, owner, task_queue):
    fill(owner, gallery.PAGE_SIZE + 5)
    first = owner_client.get("/").content.decode()
    assert first.count("data-generation-id=") == gallery.PAGE_SIZE
    assert "Load more" in first
    cursor = first.split("?cursor=")[1].split('"')[0].split("&")[0]
    with CaptureQueriesContext(connection) as ctx:
        nxt = owner_client.get(f"/gallery/?cursor={cursor}", **HTMX).content.decode()
    assert nxt.count("data-generation-id=") == 5
    assert "Load more" not in nxt
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
    # Newest first across the page boundary: item 28 ... item 0, no repeats.
    prompts = [p.split("<")[0] for p in (first + nxt).split("item ")[1:]]
    assert prompts == [str(i) for i in range(gallery.PAGE_SIZE + 4, -1, -1)]


def test_load_more_without_javascript_renders_the_page(owner_client, owner, task_queue):
    fill(owner, gallery.PAGE_SIZE + 1)
    first = owner_client.get("/").content.decode()
    cursor = first.split("?cursor=")[1].split('"')[0].split("&")[0]
    response = owner_client.get(f"/?cursor={cursor}")
    assert response.content.decode().count("data-generation-id=") == 1


def test_gallery_polls_only_while_something_is_in_flight(owner_client, owner, task_queue):
    page = owner_client.get("/").content.decode()
    # The poller's trigger is filtered by the in-flight cards present on the page.
    assert 'hx-trigger="every 2s [studioInFlightIds().length > 0]"' in page
    assert page.count('id="gallery-poller"') == 1


def test_poll_returns_out_of_band_cards_and_announces_finished(
    owner_client, owner, outsider, task_queue
):
    running = make_generation(owner, prompt="still going")
    done = complete(make_generation(owner, prompt="all done"))
    foreign = make_generation(outsider, prompt="someone else")
    ids = f"{running.pk},{done.pk},{foreign.pk}"
    body = owner_client.get(f"/gallery/poll/?ids={ids}", **HTMX).content.decode()
    assert body.count('hx-swap-oob="true"') == 2
    assert f'data-generation-id="{running.pk}" data-state="pending"' in body
    assert f'data-generation-id="{done.pk}" data-state="completed"' in body
    assert "someone else" not in body
    assert "Finished: all done" in body


def test_one_poll_query_set_for_many_cards(owner_client, owner, task_queue):
    few = [g.pk for g in fill(owner, 2)]
    with CaptureQueriesContext(connection) as small:
        owner_client.get(f"/gallery/poll/?ids={','.join(map(str, few))}", **HTMX)
    many = [g.pk for g in fill(owner, 20)]
    with CaptureQueriesContext(connection) as large:
        owner_client.get(f"/gallery/poll/?ids={','.join(map(str, many))}", **HTMX)
    assert len(small.captured_queries) == len(large.captured_queries) > 0


@pytest.mark.parametrize(
    "query,expected",
    [
        ("q=LIGHT", {"lighthouse"}),
        ("state=failed", {"broken"}),
        ("state=active", {"lighthouse", "manga cat"}),
        ("state=completed", {"done"}),
        ("model=uni-1-max", {"manga cat"}),
        ("type=image_edit", {"broken"}),
        ("favourite=1", {"done"}),
    ],
)
def test_search_and_filters(owner_client, owner, task_queue, query, expected):
    make_generation(owner, prompt="lighthouse")
    make_generation(owner, prompt="manga cat", model="uni-1-max")
    broken = make_generation(owner, prompt="broken", type="image_edit")
    Generation.objects.filter(pk=broken.pk).update(state=State.FAILED, failure_code="corrupt_input")
    done = complete(make_generation(owner, prompt="done"))
    Generation.objects.filter(pk=done.pk).update(favourite=True)
    body = owner_client.get(f"/gallery/?{query}", **HTMX).content.decode()
    shown = {p for p in ["lighthouse", "manga cat", "broken", "done"] if f">{p}</a>" in body}
    assert shown == expected


def test_favourite_toggles_for_the_owner_only(client, owner, outsider, task_queue):
    gen = make_generation(owner)
    client.force_login(owner)
    body = client.post(f"/generations/{gen.pk}/favourite/", **HTMX).content.decode()
    assert 'aria-pressed="true"' in body
    gen.refresh_from_db()
    assert gen.favourite
    client.force_login(outsider)
    assert client.post(f"/generations/{gen.pk}/favourite/").status_code == 404


def test_retry_makes_a_new_generation_with_the_same_inputs(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks
):
    png = image_bytes("PNG")
    gen = make_generation(
        owner,
        prompt="try me",
        model="uni-1-max",
        inputs=[
            {"role": "reference", "content": png, "media_type": "image/png", "name": "r.png"},
            {"role": "reference", "url": "https://example.com/x.jpg"},
        ],
    )
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="generation_failed"
    )
    task_queue.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        body = owner_client.post(f"/generations/{gen.pk}/retry/", **HTMX).content.decode()
    new = Generation.objects.exclude(pk=gen.pk).get()
    assert f'data-generation-id="{new.pk}"' in body
    assert (new.prompt, new.model, new.retry_of_id) == ("try me", "uni-1-max", gen.pk)
    refs = list(new.inputs.order_by("position"))
    with refs[0].file.open("rb") as fh:
        assert fh.read() == png
    assert refs[1].url == "https://example.com/x.jpg"
    assert task_queue.calls == [("submit", (new.pk,))]


def test_retry_refused_for_a_non_retryable_failure(owner_client, owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated"
    )
    owner_client.post(f"/generations/{gen.pk}/retry/")
    assert Generation.objects.count() == 1


def test_delete_asks_then_removes_the_row_and_its_files(
    owner_client, owner, task_queue, django_capture_on_commit_callbacks, settings
):
    gen = complete(
        make_generation(
            owner,
            inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
        )
    )
    files = [
        gen.outputs.get().file.path,
        gen.outputs.get().thumbnail.path,
        gen.inputs.get().file.path,
    ]
    confirm = owner_client.get(f"/generations/{gen.pk}/delete/")
    assert "Delete this generation?" in confirm.content.decode()
    assert Generation.objects.filter(pk=gen.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/generations/{gen.pk}/delete/")
    assert response.status_code == 302
    assert not Generation.objects.filter(pk=gen.pk).exists()
    import os

    assert not any(os.path.exists(f) for f in files)


def test_only_the_owner_may_delete(client, owner, member, team, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    assert client.get(f"/generations/{gen.pk}/").status_code == 200
    assert client.post(f"/generations/{gen.pk}/delete/").status_code == 404
    assert Generation.objects.filter(pk=gen.pk).exists()


def test_detail_shows_everything(owner_client, owner, task_queue):
    gen = complete(
        make_generation(
            owner,
            prompt="a quiet harbour",
            aspect_ratio="3:2",
            style="manga",
            model="uni-1-max",
            inputs=[{"role": "reference", "url": "https://example.com/ref.jpg"}],
        ),
        size=(96, 64),
    )
    Generation.objects.filter(pk=gen.pk).update(
        history=[
            {"state": "pending", "at": "2026-11-26T10:00:00+00:00"},
            {"state": "completed", "at": "2026-11-26T10:00:09+00:00"},
        ]
    )
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    for text in [
        "a quiet harbour",
        "3:2",
        "manga",
        "uni-1-max",
        "$0.1030",
        "https://example.com/ref.jpg",
        "26 Nov 2026, 10:00:09",
        "(+9 s)",
        f"/generations/{gen.pk}/outputs/0/?download=1",
        "Remix",
        "Edit this image",
        "Delete",
    ]:
        assert text in page, text


def test_download_has_a_sensible_filename(owner_client, owner, task_queue):
    gen = complete(make_generation(owner, prompt="A Red Fox, in snow!"))
    response = owner_client.get(f"/generations/{gen.pk}/outputs/0/?download=1")
    assert response["Content-Type"] == "image/png"
    assert f'filename="studio-{gen.pk}-a-red-fox-in-snow-1.png"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")


def test_failed_card_explains_the_code_and_offers_retry(owner_client, owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="generation_failed", failure_reason="Model crashed (E42)"
    )
    page = owner_client.get("/").content.decode()
    assert "The model hit an internal error." in page
    assert "Model crashed (E42)" in page
    assert f"/generations/{gen.pk}/retry/" in page


def test_moderated_card_offers_no_retry(owner_client, owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="Policy"
    )
    page = owner_client.get("/").content.decode()
    assert "Change the prompt" in page
    assert f"/generations/{gen.pk}/retry/" not in page


def test_team_gallery_for_members_only(client, owner, member, outsider, team, task_queue):
    shared = make_generation(owner, prompt="shared one")
    make_generation(owner, prompt="private one")
    Generation.objects.filter(pk=shared.pk).update(team=team)
    client.force_login(member)
    page = client.get("/teams/design/").content.decode()
    assert "shared one" in page and "private one" not in page
    client.force_login(outsider)
    assert client.get("/teams/design/").status_code == 404


FORM = {
    "prompt": "a paper boat",
    "type": "image",
    "aspect_ratio": "1:1",
    "style": "auto",
    "model": "uni-1",
    "output_format": "png",
}


def test_htmx_submit_returns_the_new_card_and_hides_the_empty_note(
    owner_client, task_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/generations/", FORM, **HTMX)
    body = response.content.decode()
    gen = Generation.objects.get()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<article class="card state-pending" id="gen-{gen.pk}"')
    assert 'id="gallery-empty" hidden hx-swap-oob="true"' in body
    assert "Submitted" in body  # announced in the live region
    assert task_queue.names() == ["submit"]


def test_htmx_submit_with_errors_returns_the_form_in_place(owner_client, task_queue):
    response = owner_client.post("/generations/", {**FORM, "prompt": "  "}, **HTMX)
    assert response["HX-Retarget"] == "#composer-form"
    assert response["HX-Reswap"] == "outerHTML"
    body = response.content.decode()
    assert body.lstrip().startswith("<form") and 'id="composer-form"' in body
    assert Generation.objects.count() == 0


def test_remix_prefills_settings_and_references(owner_client, owner, task_queue):
    png = image_bytes("PNG", size=(40, 30))
    gen = make_generation(
        owner,
        prompt="remix me",
        aspect_ratio="2:3",
        style="manga",
        model="uni-1-max",
        output_format="jpeg",
        inputs=[
            {"role": "reference", "content": png, "media_type": "image/png", "name": "r.png"},
            {"role": "reference", "url": "https://example.com/u.jpg"},
        ],
    )
    before = Generation.objects.count()
    page = owner_client.get(f"/?remix={gen.pk}").content.decode()
    values = form_values(page)
    assert values["prompt"] == ["remix me"]
    assert values["aspect_ratio"] == ["2:3"]
    assert values["style"] == ["manga"]
    assert values["model"] == ["uni-1-max"]
    assert values["output_format"] == ["jpeg"]
    assert "https://example.com/u.jpg" in values["image_ref_url"][0]
    assert len(values["kept_ref"]) == 1
    # Nothing was submitted by opening the form.
    assert Generation.objects.count() == before


def test_edit_this_image_opens_an_edit_with_the_output_as_source(owner_client, owner, task_queue):
    gen = complete(make_generation(owner, prompt="edit me"), size=(80, 40))
    page = owner_client.get(f"/?edit={gen.pk}&output=0").content.decode()
    values = form_values(page)
    assert values["type"] == ["image_edit"]
    assert len(values["kept_source"]) == 1
    token = values["kept_source"][0]
    preview = owner_client.get(f"/uploads/{token}/")
    assert preview.status_code == 200


def test_remix_of_someone_elses_generation_is_404(client, owner, outsider, task_queue):
    gen = make_generation(owner)
    client.force_login(outsider)
    assert client.get(f"/?remix={gen.pk}").status_code == 404


def test_detail_of_an_in_flight_job_refreshes_itself_until_final(owner_client, owner, task_queue):
    gen = make_generation(owner)
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert 'hx-trigger="every 2s" hx-select="#detail"' in page
    complete(gen)
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' not in page


def test_navigation_links_the_users_teams(client, member, team):
    client.force_login(member)
    assert 'href="/teams/design/"' in client.get("/").content.decode()


def test_filtering_puts_the_filters_in_the_address_bar(owner_client, task_queue):
    response = owner_client.get("/gallery/?q=fox&state=failed&model=uni-1", **HTMX)
    assert response["HX-Push-Url"] == "/?q=fox&state=failed&model=uni-1"
    cleared = owner_client.get("/gallery/?q=", **HTMX)
    assert cleared["HX-Push-Url"] == "/"
    page = owner_client.get("/?q=fox&state=failed").content.decode()
    assert form_values(page)["q"] == ["fox"]
    assert form_values(page)["state"] == ["failed"]


def test_files_go_however_the_row_is_deleted(owner, task_queue, django_capture_on_commit_callbacks):
    import os

    gen = complete(
        make_generation(
            owner,
            inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
        )
    )
    out, ref = gen.outputs.get(), gen.inputs.get()
    files = [out.file.path, out.thumbnail.path, ref.file.path]
    assert all(os.path.exists(f) for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()  # as the admin does, cascading to the generation
    assert not any(os.path.exists(f) for f in files)


def test_poll_drops_cards_that_no_longer_exist(owner_client, owner, task_queue):
    gen = make_generation(owner)
    gone_id = gen.pk
    gen.delete()
    body = owner_client.get(f"/gallery/poll/?ids={gone_id}", **HTMX).content.decode()
    assert f'<article id="gen-{gone_id}" hx-swap-oob="delete"></article>' in body


def test_edit_with_a_bad_output_number_is_404(owner_client, owner, task_queue):
    gen = complete(make_generation(owner))
    assert owner_client.get(f"/?edit={gen.pk}&output=x").status_code == 404
    assert owner_client.get(f"/?edit={gen.pk}&output=7").status_code == 404


def test_star_without_javascript_returns_to_the_gallery(owner_client, owner, task_queue):
    gen = make_generation(owner)
    page = owner_client.get("/?q=lighthouse").content.decode()
    assert 'name="next" value="/?q=lighthouse"' in page
    response = owner_client.post(f"/generations/{gen.pk}/favourite/", {"next": "/?q=lighthouse"})
    assert response["Location"] == "/?q=lighthouse"


def test_team_cards_say_who_made_them(client, owner, member, team, task_queue):
    gen = make_generation(owner, prompt="shared one")
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    page = client.get("/teams/design/").content.decode()
    assert "by owner" in page
    assert 'name="favourite"' not in page
