import io
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import Image

from studio.generations import outputs
from studio.generations.forms import GenerationForm
from studio.teams.models import Membership
from studio.uploads import staging
from studio.uploads.models import StagedUpload
from studio.uploads.validation import NormalisedImage
from tests.generations.helpers import make_generation

from .helpers import image_bytes

pytestmark = pytest.mark.django_db


def staged_for(user, name="kept.png", color=(1, 2, 3)) -> StagedUpload:
    content = image_bytes("PNG", size=(32, 16), color=color)
    return staging.stage(user, NormalisedImage(content, "image/png", 32, 16, name))


def test_stage_keeps_file_under_staged_with_a_random_name(owner):
    staged = staged_for(owner, name="holiday photo.png")
    assert staged.file.name.startswith("staged/")
    assert "holiday" not in staged.file.name and staged.token in staged.file.name
    assert len(staged.token) >= 32
    assert (staged.media_type, staged.width, staged.height) == ("image/png", 32, 16)
    assert staged.original_name == "holiday photo.png"
    assert staged.bytes == staged.file.size
    assert default_storage.exists(staged.file.name)


def test_resolve_only_finds_the_users_own_tokens_in_order(owner, outsider):
    a, b = staged_for(owner, "a.png"), staged_for(owner, "b.png")
    theirs = staged_for(outsider, "theirs.png")
    found, missing = staging.resolve(owner, [b.token, theirs.token, a.token, b.token, "nope"])
    assert [s.original_name for s in found] == ["b.png", "a.png"]
    assert missing == [theirs.token, "nope"]


def test_purge_stale_removes_old_rows_and_their_files(owner, django_capture_on_commit_callbacks):
    old, fresh = staged_for(owner, "old.png"), staged_for(owner, "fresh.png")
    StagedUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert staging.purge_stale() == 1
    assert list(StagedUpload.objects.values_list("original_name", flat=True)) == ["fresh.png"]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(fresh.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        assert staging.purge_stale(older_than=timedelta(0)) == 1
    assert not default_storage.exists(fresh.file.name)


def test_a_user_keeps_a_bounded_number_of_staged_files(owner, monkeypatch):
    monkeypatch.setattr(staging, "MAX_STAGED_PER_USER", 3)
    for i in range(5):
        staged_for(owner, f"{i}.png")
    names = sorted(StagedUpload.objects.values_list("original_name", flat=True))
    assert names == ["2.png", "3.png", "4.png"]


def test_staged_file_is_served_to_its_owner_only(client, owner, outsider):
    staged = staged_for(owner)
    client.force_login(owner)
    response = client.get(f"/uploads/{staged.token}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == staged.file.open("rb").read()
    assert "private" in response["Cache-Control"]

    client.force_login(outsider)
    assert client.get(f"/uploads/{staged.token}/").status_code == 404
    assert client.get("/uploads/not-a-token/").status_code == 404
    client.logout()
    assert client.get(f"/uploads/{staged.token}/").status_code == 302


def _generation_with_inputs(owner, team=None):
    inputs = [
        {
            "role": "reference",
            "content": image_bytes("PNG", color=(0, 255, 0)),
            "media_type": "image/png",
            "width": 64,
            "height": 48,
            "name": "green.png",
        },
        {"role": "reference", "url": "https://img.example/ref.png"},
        {
            "role": "reference",
            "content": image_bytes("JPEG", color=(0, 0, 255)),
            "media_type": "image/jpeg",
            "width": 64,
            "height": 48,
            "name": "blue.jpg",
        },
    ]
    gen = make_generation(
        owner,
        prompt="a teapot in the style of the references",
        aspect_ratio="2:3",
        style="manga",
        model="uni-1-max",
        output_format="jpeg",
        web_search=True,
        inputs=inputs,
    )
    if team is not None:
        gen.team = team
        gen.save(update_fields=["team"])
    return gen


def test_stage_from_generation_gives_initial_data_that_renders_and_validates(owner, team):
    gen = _generation_with_inputs(owner, team)
    initial = staging.stage_from_generation(owner, gen)
    assert initial["prompt"] == gen.prompt
    assert (initial["type"], initial["aspect_ratio"], initial["style"]) == ("image", "2:3", "manga")
    assert (initial["model"], initial["output_format"], initial["web_search"]) == (
        "uni-1-max",
        "jpeg",
        True,
    )
    assert initial["team"] == team.pk
    assert initial["image_ref_url"] == "https://img.example/ref.png"
    assert len(initial["kept_ref"]) == 2 and "kept_source" not in initial
    kept = [StagedUpload.objects.get(token=t) for t in initial["kept_ref"]]
    assert [k.original_name for k in kept] == ["green.png", "blue.jpg"]
    assert all(k.user == owner for k in kept)

    page = GenerationForm(initial=initial, user=owner)
    html = render_to_string("generations/_form.html", {"form": page})
    for token in initial["kept_ref"]:
        assert f'name="kept_ref" value="{token}"' in html
        assert f"/uploads/{token}/" in html
    assert "a teapot in the style of the references" in html
    assert re.search(r'name="aspect_ratio" value="2:3"[^>]*checked', html)
    assert re.search(r'<option value="manga" selected>', html)
    assert f'<option value="{team.pk}" selected>' in html
    assert page.estimated_price() == gen.estimated_price

    # Submitting what was prefilled gives the same request back.
    data = {k: v for k, v in initial.items() if k != "web_search"}
    data["web_search"] = "on"
    form = GenerationForm(data, {}, user=owner)
    assert form.is_valid(), form.errors
    inputs = form.inputs()
    assert [i.get("name") or i.get("url") for i in inputs] == [
        "green.png",
        "blue.jpg",
        "https://img.example/ref.png",
    ]
    assert inputs[0]["content"] == gen.inputs.get(position=0).file.open("rb").read()
    assert form.cleaned_data["team"] == team


def test_stage_from_generation_drops_a_team_the_user_may_not_share_with(owner, member, team):
    Membership.objects.filter(user=member).update(role=Membership.Role.VIEWER)
    gen = _generation_with_inputs(owner, team)
    assert "team" not in staging.stage_from_generation(member, gen)


def test_stage_from_generation_keeps_an_edit_source(owner):
    gen = make_generation(
        owner,
        type="image_edit",
        inputs=[
            {
                "role": "source",
                "content": image_bytes("PNG"),
                "media_type": "image/png",
                "width": 64,
                "height": 48,
                "name": "src.png",
            }
        ],
    )
    initial = staging.stage_from_generation(owner, gen)
    assert initial["type"] == "image_edit"
    form = GenerationForm({**initial, "prompt": "make it blue"}, {}, user=owner)
    assert form.is_valid(), form.errors
    (source,) = form.inputs()
    assert source["role"] == "source" and source["name"] == "src.png"


def test_stage_output_as_source_gives_an_edit_of_that_output(owner):
    gen = make_generation(owner, aspect_ratio="9:16", style="manga", model="uni-1-max")
    buf = io.BytesIO()
    Image.new("RGB", (36, 64), (9, 9, 9)).save(buf, "PNG")
    buf.seek(0)
    out = outputs.store_output(gen, 0, buf)
    out.save()

    initial = staging.stage_output_as_source(owner, out)
    assert initial["type"] == "image_edit"
    assert (initial["aspect_ratio"], initial["style"], initial["model"]) == (
        "9:16",
        "manga",
        "uni-1-max",
    )
    assert initial["output_format"] == "png"
    staged = StagedUpload.objects.get(token=initial["kept_source"])
    assert staged.user == owner and (staged.width, staged.height) == (36, 64)
    assert staged.original_name == f"studio-{gen.pk}-1.png"

    html = render_to_string(
        "generations/_form.html", {"form": GenerationForm(initial=initial, user=owner)}
    )
    assert f'name="kept_source" value="{initial["kept_source"]}"' in html
    assert re.search(r'name="type" value="image_edit"[^>]*checked', html)

    form = GenerationForm({**initial, "prompt": "add a moon"}, {}, user=owner)
    assert form.is_valid(), form.errors
    (source,) = form.inputs()
    assert source["role"] == "source"
    assert source["content"] == out.file.open("rb").read()
    assert (source["width"], source["height"]) == (36, 64)


def test_opening_the_same_remix_twice_reuses_the_copies(owner, task_queue):
    from studio.uploads.models import StagedUpload
    from studio.uploads.staging import stage_from_generation
    from tests.generations.helpers import image_bytes as png
    from tests.generations.helpers import make_generation

    gen = make_generation(
        owner, inputs=[{"role": "reference", "content": png(), "media_type": "image/png"}]
    )
    first = stage_from_generation(owner, gen)
    again = stage_from_generation(owner, gen)
    assert first["kept_ref"] == again["kept_ref"]
    assert StagedUpload.objects.filter(user=owner).count() == 1
