"""Starting the composer from earlier work: Remix (every setting and copies of the inputs)
and Edit this image (an output as the kept source)."""

import io
import re

import pytest
from django.template.loader import render_to_string
from PIL import Image

from studio.generations import outputs, prefill
from studio.generations.forms import GenerationForm
from studio.teams.models import Membership
from studio.uploads.models import StagedUpload

from .helpers import image_bytes, make_generation

pytestmark = pytest.mark.django_db


# Settings that all differ from the form's defaults, so a Remix that dropped one would show.
REMIXED = {
    "prompt": "a teapot in the style of the references",
    "aspect_ratio": "2:3",
    "style": "manga",
    "model": "uni-1-max",
    "output_format": "jpeg",
    "web_search": True,
}


def _inline_reference(name: str, fmt: str, media_type: str, color) -> dict:
    """A 64×48 reference image given as bytes, as an upload becomes one."""
    return {
        "role": "reference",
        "content": image_bytes(fmt, size=(64, 48), color=color),
        "media_type": media_type,
        "width": 64,
        "height": 48,
        "name": name,
    }


def _generation_with_inputs(owner, team=None):
    inputs = [
        _inline_reference("green.png", "PNG", "image/png", (0, 255, 0)),
        {"role": "reference", "url": "https://img.example/ref.png"},
        _inline_reference("blue.jpg", "JPEG", "image/jpeg", (0, 0, 255)),
    ]
    gen = make_generation(owner, inputs=inputs, **REMIXED)
    if team is not None:
        gen.team = team
        gen.save(update_fields=["team"])
    return gen


def test_remix_gives_initial_data_that_renders_and_validates(owner, team):
    gen = _generation_with_inputs(owner, team)
    initial = prefill.remix(owner, gen)
    assert initial["prompt"] == gen.prompt
    assert (initial["type"], initial["aspect_ratio"], initial["style"]) == ("image", "2:3", "manga")
    assert (initial["model"], initial["output_format"], initial["web_search"]) == (
        "uni-1-max",
        "jpeg",
        True,
    )
    assert initial["team"] == team.slug
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
    assert f'<option value="{team.slug}" selected>' in html
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


def test_remix_drops_a_team_the_user_may_not_share_with(owner, member, team):
    Membership.objects.filter(user=member).update(role=Membership.Role.VIEWER)
    gen = _generation_with_inputs(owner, team)
    assert "team" not in prefill.remix(member, gen)


def test_remix_keeps_an_edit_source(owner):
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
    initial = prefill.remix(owner, gen)
    assert initial["type"] == "image_edit"
    form = GenerationForm({**initial, "prompt": "make it blue"}, {}, user=owner)
    assert form.is_valid(), form.errors
    (source,) = form.inputs()
    assert source["role"] == "source" and source["name"] == "src.png"


def test_edit_output_gives_an_edit_of_that_output(owner):
    gen = make_generation(owner, aspect_ratio="9:16", style="manga", model="uni-1-max")
    buf = io.BytesIO()
    Image.new("RGB", (36, 64), (9, 9, 9)).save(buf, "PNG")
    buf.seek(0)
    out = outputs.store_output(gen, 0, buf)
    out.save()

    initial = prefill.edit_output(owner, out)
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
    gen = make_generation(
        owner, inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}]
    )
    first = prefill.remix(owner, gen)
    again = prefill.remix(owner, gen)
    assert first["kept_ref"] == again["kept_ref"]
    assert StagedUpload.objects.filter(user=owner).count() == 1
