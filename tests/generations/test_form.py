import json
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape

from studio.generations import services
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation, Reference
from studio.teams.models import Membership, Team
from studio.uploads.models import StagedUpload
from studio.upstream import facts
from tests.generations.helpers import DEFAULTS
from tests.uploads.helpers import (
    corrupt_png,
    image_bytes,
    png_header_only,
    png_upload,
    truncated_jpeg,
    upload,
)

pytestmark = pytest.mark.django_db

# A form post carries no web_search when the box is unticked.
BASE = {k: v for k, v in DEFAULTS.items() if k != "web_search"}


def bound(user, data=None, files=None, **extra) -> GenerationForm:
    """A form bound like a real POST: QueryDict-style data, MultiValueDict files."""
    values = {**BASE, **(data or {})}
    post = MultiValueDict(
        {k: (v if isinstance(v, list) else [v]) for k, v in values.items() if v is not None}
    )
    uploads = MultiValueDict(
        {k: (v if isinstance(v, list) else [v]) for k, v in (files or {}).items()}
    )
    return GenerationForm(post, uploads, user=user, **extra)


def keep_uploads(form: GenerationForm) -> GenerationForm:
    """What the view does with a form that failed: keep the uploads that passed."""
    assert not form.is_valid()
    services.keep_valid_uploads(form=form, user=form.user)
    return form


# One value the API does not accept for each of its enumerated fields.
UNKNOWN_ENUM_VALUES = [
    ("type", "video"),
    ("aspect_ratio", "4:5"),
    ("style", "photoreal"),
    ("model", "uni-2"),
    ("output_format", "gif"),
]


def errors_text(form) -> str:
    return " ".join(m for errors in form.errors.values() for m in errors)


@pytest.fixture
def post(owner_client, task_queue, django_capture_on_commit_callbacks):
    """POST /generations/ like the browser (multipart), running on_commit hooks."""

    def do(data=None, **headers):
        payload = {**BASE, **(data or {})}
        payload = {k: v for k, v in payload.items() if v is not None}
        with django_capture_on_commit_callbacks(execute=True):
            return owner_client.post("/generations/", payload, **headers)

    return do


def assert_rejected(response, task_queue, *messages):
    assert response.status_code == 400
    page = response.content.decode()
    for message in messages:
        assert escape(message) in page, message
    assert Generation.objects.count() == 0
    assert task_queue.calls == []
    return page


# --- the fields -----------------------------------------------------------------------


def test_every_field_is_rendered_with_a_label_and_help(owner_client, owner, team):
    page = owner_client.get("/").content.decode()
    for name in ["prompt", "source_url", "image_ref_url", "style", "model", "output_format"]:
        assert f'name="{name}"' in page and f'for="id_{name}"' in page
        assert f'id="id_{name}_helptext"' in page
    assert 'type="file" name="source"' in page and 'for="id_source"' in page
    assert re.search(r'type="file" name="image_ref"[^>]*multiple', page)
    assert 'for="id_image_ref"' in page
    assert 'type="checkbox" name="web_search"' in page and 'for="id_web_search"' in page
    assert "<legend>Type</legend>" in page and "<legend>Aspect ratio</legend>" in page
    for i, ratio in enumerate(facts.ASPECT_RATIOS):
        assert re.search(rf'name="aspect_ratio" value="{ratio}"[^>]*id="id_aspect_ratio_{i}"', page)
        assert f'for="id_aspect_ratio_{i}"' in page
    assert page.count('class="ratio-shape"') == 9
    assert 'for="id_team">Share with team</label>' in page
    assert f'<option value="{team.slug}">Design</option>' in page


def test_form_tag_posts_with_and_without_htmx(owner_client):
    page = owner_client.get("/").content.decode()
    form_tag = re.search(r"<form id=\"composer-form\"[^>]*>", page, re.S).group(0)
    for attr in [
        'method="post"',
        'action="/generations/"',
        'enctype="multipart/form-data"',
        "novalidate",
        'hx-post="/generations/"',
        'hx-encoding="multipart/form-data"',
        'hx-target="#gallery"',
        'hx-swap="afterbegin"',
    ]:
        assert attr in form_tag


def test_team_choices_are_teams_where_the_user_may_create(owner, member):
    editor_team = Team.objects.create(name="Editors", slug="editors")
    viewer_team = Team.objects.create(name="Viewers", slug="viewers")
    Team.objects.create(name="Strangers", slug="strangers")
    Membership.objects.create(team=editor_team, user=member, role=Membership.Role.EDITOR)
    Membership.objects.create(team=viewer_team, user=member, role=Membership.Role.VIEWER)
    form = GenerationForm(user=member)
    assert list(form.fields["team"].queryset) == [editor_team]
    assert bound(member, {"team": editor_team.slug}).is_valid()
    bad = bound(member, {"team": viewer_team.slug})
    assert not bad.is_valid() and "team" in bad.errors


def test_team_is_not_shown_to_a_user_without_teams(owner_client):
    assert 'name="team"' not in owner_client.get("/").content.decode()


def test_valid_generate_has_the_documented_cleaned_data(owner, team):
    form = bound(owner, {"web_search": "on", "team": team.slug, "prompt": "  fox  "})
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["prompt"] == "fox"
    assert {k: data[k] for k in ["type", "aspect_ratio", "style", "model", "output_format"]} == {
        "type": "image",
        "aspect_ratio": "16:9",
        "style": "auto",
        "model": "uni-1",
        "output_format": "png",
    }
    assert data["web_search"] is True and data["team"] == team
    assert form.inputs() == []
    assert form.estimated_price() == Decimal("0.0404")


def test_inputs_put_the_source_first_then_kept_new_and_url_references(owner):
    first = keep_uploads(bound(owner, {"prompt": ""}, {"image_ref": [png_upload("kept.png")]}))
    (kept,) = first.kept_ref_items
    form = bound(
        owner,
        {
            "type": "image_edit",
            "kept_ref": kept.token,
            "image_ref_url": "https://a.example/1.png\n\nhttps://a.example/2.png",
        },
        {
            "source": upload("src.jpg", image_bytes("JPEG"), "image/jpeg"),
            "image_ref": [png_upload("new.png")],
        },
    )
    assert form.is_valid(), form.errors
    inputs = form.inputs()
    assert [(i["role"], i.get("name") or i.get("url")) for i in inputs] == [
        ("source", "src.jpg"),
        ("reference", "kept.png"),
        ("reference", "new.png"),
        ("reference", "https://a.example/1.png"),
        ("reference", "https://a.example/2.png"),
    ]
    source = inputs[0]
    assert source["media_type"] == "image/jpeg" and (source["width"], source["height"]) == (64, 48)
    assert source["content"].startswith(b"\xff\xd8")
    assert form.estimated_price() == facts.estimate_price(
        model="uni-1", type="image_edit", ref_count=4
    )


def test_several_image_ref_url_values_are_accepted(owner):
    form = bound(owner, {"image_ref_url": ["https://a.example/1.png", "http://b.example/2.webp"]})
    assert form.is_valid(), form.errors
    assert [i["url"] for i in form.inputs()] == [
        "https://a.example/1.png",
        "http://b.example/2.webp",
    ]


def test_a_generate_ignores_a_source_left_in_the_hidden_block(owner):
    form = bound(owner, {"source_url": "javascript:alert(1)"}, {"source": upload("x.png", b"junk")})
    assert form.is_valid(), form.errors
    assert form.inputs() == []


# --- validation rules, on the form ----------------------------------------------------


def test_prompt_is_required_and_limited(owner):
    assert "the prompt is empty" in errors_text(bound(owner, {"prompt": "   "}))
    long = bound(owner, {"prompt": "x" * 6001})
    assert not long.is_valid()
    assert long.errors["prompt"] == [
        "The prompt is 6,001 characters long; the limit is 6,000. Remove 1."
    ]
    assert bound(owner, {"prompt": "x" * 6000}).is_valid()


def test_line_breaks_count_once_as_the_user_sees_them(owner):
    form = bound(owner, {"prompt": "ab\r\n" * 1500})  # 6,000 characters once normalised
    assert form.is_valid(), form.errors
    assert form.cleaned_data["prompt"] == ("ab\n" * 1500).strip()


@pytest.mark.parametrize("field,value", UNKNOWN_ENUM_VALUES)
def test_unknown_enum_values_are_rejected(owner, field, value):
    form = bound(owner, {field: value})
    assert not form.is_valid()
    (message,) = form.errors[field]
    assert f"“{value}” is not" in message and "the API accepts" in message


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example/a.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "//no-scheme.example/a.png",
    ],
)
def test_only_http_urls_are_accepted(owner, url):
    refs = bound(owner, {"image_ref_url": f"https://fine.example/a.png\n{url}"})
    assert not refs.is_valid()
    assert refs.errors["image_ref_url"] == [
        f"“{url}”: only http:// and https:// addresses can be used."
    ]
    source = bound(owner, {"type": "image_edit", "source_url": url})
    assert not source.is_valid()
    assert "only http:// and https://" in source.errors["source_url"][0]


def test_a_malformed_http_url_is_rejected(owner):
    form = bound(owner, {"image_ref_url": "https://exa mple/a b.png"})
    assert form.errors["image_ref_url"] == [
        "“https://exa mple/a b.png”: this is not a valid web address."
    ]


@pytest.mark.parametrize("type_,limit", [("image", 9), ("image_edit", 8)])
def test_reference_count_is_limited_per_type(owner, type_, limit):
    source = {"source_url": "https://src.example/s.png"} if type_ == "image_edit" else {}
    urls = [f"https://r.example/{i}.png" for i in range(limit - 2)]
    at_limit = bound(
        owner,
        {"type": type_, "image_ref_url": urls, **source},
        {"image_ref": [png_upload("a.png"), png_upload("b.png")]},
    )
    assert at_limit.is_valid(), at_limit.errors
    over = bound(
        owner,
        {"type": type_, "image_ref_url": urls + ["https://r.example/extra.png"], **source},
        {"image_ref": [png_upload("a.png"), png_upload("b.png")]},
    )
    assert not over.is_valid()
    assert any(
        f"{limit + 1} reference images were given; at most {limit} can be used" in e
        for e in over.errors["image_ref"]
    )


def test_kept_references_count_towards_the_limit(owner):
    first = keep_uploads(
        bound(owner, {"prompt": ""}, {"image_ref": [png_upload(f"{i}.png") for i in range(5)]})
    )
    tokens = [k.token for k in first.kept_ref_items]
    assert len(tokens) == 5
    urls = [f"https://r.example/{i}.png" for i in range(5)]
    over = bound(owner, {"kept_ref": tokens, "image_ref_url": urls})
    assert not over.is_valid()
    assert "10 reference images were given; at most 9" in errors_text(over)


def test_without_javascript_a_kept_image_is_removed_by_ticking_its_box(owner):
    first = keep_uploads(
        bound(owner, {"prompt": ""}, {"image_ref": [png_upload(f"{i}.png") for i in range(3)]})
    )
    tokens = [k.token for k in first.kept_ref_items]
    page = render_to_string("generations/_form.html", {"form": first})
    assert f'name="drop_kept" value="{tokens[1]}"' in page
    again = bound(owner, {"kept_ref": tokens, "drop_kept": [tokens[1]]})
    assert again.is_valid(), again.errors
    assert [i["name"] for i in again.inputs()] == ["0.png", "2.png"]


def test_edit_requires_a_source(owner):
    form = bound(owner, {"type": "image_edit"}, {"image_ref": [png_upload()]})
    assert not form.is_valid()
    assert form.errors["source"] == ["Editing needs a source image: upload one or give its URL."]
    with_url = bound(owner, {"type": "image_edit", "source_url": "https://s.example/a.png"})
    assert with_url.is_valid(), with_url.errors
    assert with_url.inputs() == [{"role": "source", "url": "https://s.example/a.png"}]


def test_edit_source_is_an_upload_or_a_url_not_both(owner):
    form = bound(
        owner,
        {"type": "image_edit", "source_url": "https://s.example/a.png"},
        {"source": png_upload("src.png")},
    )
    assert not form.is_valid()
    assert "not both" in form.errors["source_url"][0]


def test_each_bad_file_is_named_with_its_reason(owner, settings):
    settings.UPLOAD_MAX_BYTES = 12 * 1024
    form = bound(
        owner,
        {},
        {
            "image_ref": [
                upload("cat.png", b"not an image at all"),
                upload("cut.jpg", truncated_jpeg(), "image/jpeg"),
                upload("huge.png", png_header_only(40000, 40000)),
                upload("broken.png", corrupt_png()),
                upload("big.jpg", b"\xff" * 13000, "image/jpeg"),
                png_upload("fine.png"),
            ]
        },
    )
    assert not form.is_valid()
    assert form.errors["image_ref"] == [
        "“cat.png”: this file is not a JPEG, PNG or WebP image.",
        "“cut.jpg”: the image data is truncated or corrupt.",
        "“huge.png”: 40,000×40,000 pixels is over the 40,000,000-pixel limit.",
        "“broken.png”: the image data is truncated or corrupt.",
        "“big.jpg”: 12.7 KB is over the 12 KB limit.",
    ]
    keep_uploads(form)
    assert [k.name for k in form.kept_ref_items] == ["fine.png"]


def test_a_token_of_another_user_is_rejected(owner, outsider):
    theirs = keep_uploads(
        bound(outsider, {"prompt": ""}, {"image_ref": [png_upload("private.png")]})
    )
    (token,) = [k.token for k in theirs.kept_ref_items]

    mine = bound(owner, {"kept_ref": token})
    assert not mine.is_valid()
    assert "no longer available" in mine.errors["image_ref"][0]
    assert mine.kept_ref_items == []

    as_source = bound(owner, {"type": "image_edit", "kept_source": token})
    assert not as_source.is_valid()
    assert "no longer available" in as_source.errors["source"][0]

    html = render_to_string("generations/_form.html", {"form": mine})
    assert token not in html


def test_a_new_source_replaces_a_kept_one(owner):
    first = keep_uploads(
        bound(owner, {"type": "image_edit", "prompt": ""}, {"source": png_upload("old.png")})
    )
    kept = first.kept_source_item
    assert kept is not None and kept.name == "old.png"
    form = bound(
        owner, {"type": "image_edit", "kept_source": kept.token}, {"source": png_upload("new.png")}
    )
    assert form.is_valid(), form.errors
    assert [i["name"] for i in form.inputs()] == ["new.png"]


def test_estimated_price_follows_model_type_and_reference_count(owner):
    assert GenerationForm(user=owner).estimated_price() == Decimal("0.0404")
    assert GenerationForm(
        initial={"model": "uni-1-max", "type": "image_edit"}, user=owner
    ).estimated_price() == Decimal("0.1030")
    form = bound(
        owner,
        {
            "model": "uni-1-max",
            "image_ref_url": ["https://a.example/1.png", "https://a.example/2.png"],
        },
        {"image_ref": [png_upload()]},
    )
    assert form.is_valid()
    assert form.estimated_price() == Decimal("0.1090")  # 0.1030 + 2 × 0.0030


def test_price_table_in_the_page_comes_from_facts(owner_client):
    page = owner_client.get("/").content.decode()
    raw = re.search(r'<script id="composer-config" type="application/json">(.*?)</script>', page)
    config = json.loads(raw.group(1))
    assert config["max_refs"] == facts.MAX_REFS
    for model in facts.MODELS:
        for type_ in facts.TYPES:
            for n, price in enumerate(config["prices"][model][type_]):
                assert Decimal(price) == facts.estimate_price(model=model, type=type_, ref_count=n)
    assert re.search(r"<output[^>]*data-price[^>]*>\$0\.0404</output>", page)


def test_fragment_renders_alone_for_htmx(owner):
    request = RequestFactory().get("/")
    request.user = owner
    form = bound(owner, {"prompt": ""})
    assert not form.is_valid()
    html = render_to_string("generations/_form.html", {"form": form}, request=request)
    assert html.strip().startswith("<form") and html.strip().endswith("</form>")
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Describe the image: the prompt is empty." in html
    assert "data-error-summary" in html


# --- validation never writes; keeping what passed is a separate step -------------------


def test_an_invalid_form_writes_no_staged_upload_and_no_file(owner, settings):
    form = bound(
        owner,
        {"type": "image_edit", "prompt": ""},
        {"source": png_upload("src.png"), "image_ref": [png_upload("ref.png")]},
    )
    assert not form.is_valid()
    html = render_to_string("generations/_form.html", {"form": form})
    assert StagedUpload.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "staged").exists()
    # Nothing is shown as kept before the caller keeps it.
    assert form.kept_source_item is None and form.kept_ref_items == []
    assert 'name="kept_ref"' not in html and 'name="kept_source"' not in html


def test_keeping_valid_uploads_stages_each_and_shows_them_as_kept(owner, settings):
    form = bound(
        owner,
        {"type": "image_edit", "prompt": ""},
        {
            "source": png_upload("src.png"),
            "image_ref": [png_upload("ref.png"), upload("bad.png", b"not pixels")],
        },
    )
    assert not form.is_valid()
    assert [i.name for i in form.uploads_to_keep()] == ["src.png", "ref.png"]
    services.keep_valid_uploads(form=form, user=owner)
    staged = {s.original_name: s for s in StagedUpload.objects.filter(user=owner)}
    assert sorted(staged) == ["ref.png", "src.png"]
    assert form.kept_source_item.token == staged["src.png"].token
    assert [k.token for k in form.kept_ref_items] == [staged["ref.png"].token]
    assert form.uploads_to_keep() == []
    assert form.reference_count() == 1
    html = render_to_string("generations/_form.html", {"form": form})
    assert f'name="kept_source" value="{staged["src.png"].token}"' in html
    assert f'name="kept_ref" value="{staged["ref.png"].token}"' in html


def test_an_upload_that_cannot_be_kept_leaves_the_form_with_its_errors(owner, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(services.staging, "stage", full_disk)
    form = bound(owner, {"prompt": ""}, {"image_ref": [png_upload("ref.png")]})
    keep_uploads(form)
    assert StagedUpload.objects.count() == 0 and form.kept_ref_items == []
    assert "Describe the image: the prompt is empty." in errors_text(form)


# --- the same rules through POST /generations/ ----------------------------------------


@pytest.mark.parametrize(
    "name,content,message",
    [
        (
            "cat.png",
            b"plain text pretending",
            "“cat.png”: this file is not a JPEG, PNG or WebP image.",
        ),
        ("cut.jpg", None, "“cut.jpg”: the image data is truncated or corrupt."),
        ("broken.png", corrupt_png(), "“broken.png”: the image data is truncated or corrupt."),
        (
            "huge.png",
            png_header_only(40000, 40000),
            "“huge.png”: 40,000×40,000 pixels is over the 40,000,000-pixel limit.",
        ),
    ],
)
def test_bad_uploads_are_rejected_by_the_view(post, task_queue, name, content, message):
    content = truncated_jpeg() if content is None else content
    response = post({"image_ref": [upload(name, content)]})
    assert_rejected(response, task_queue, message)


def test_oversized_upload_is_rejected_by_the_view(post, task_queue, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    big = upload("big.jpg", b"\xff" * int(1.5 * 1024 * 1024), "image/jpeg")
    response = post({"type": "image_edit", "source": big})
    assert_rejected(response, task_queue, "“big.jpg”: 1.5 MB is over the 1 MB limit.")


@pytest.mark.parametrize("field,value", UNKNOWN_ENUM_VALUES)
def test_unknown_enum_values_are_rejected_by_the_view(post, task_queue, field, value):
    assert_rejected(post({field: value}), task_queue, f"“{value}” is not")


def test_too_many_references_are_rejected_by_the_view(post, task_queue):
    urls = [f"https://r.example/{i}.png" for i in range(10)]
    assert_rejected(
        post({"image_ref_url": "\n".join(urls)}),
        task_queue,
        "10 reference images were given; at most 9 can be used to generate.",
    )
    assert_rejected(
        post(
            {
                "type": "image_edit",
                "source_url": "https://s.example/s.png",
                "image_ref_url": urls[:9],
            }
        ),
        task_queue,
        "9 reference images were given; at most 8 can be used when editing",
    )


def test_edit_without_source_is_rejected_by_the_view(post, task_queue):
    assert_rejected(
        post({"type": "image_edit"}),
        task_queue,
        "Editing needs a source image: upload one or give its URL.",
    )


def test_non_http_url_is_rejected_by_the_view(post, task_queue):
    assert_rejected(
        post({"image_ref_url": "javascript:alert(1)"}),
        task_queue,
        "“javascript:alert(1)”: only http:// and https:// addresses can be used.",
    )


def test_long_prompt_is_rejected_by_the_view(post, task_queue):
    page = assert_rejected(
        post({"prompt": "y" * 6001}),
        task_queue,
        "The prompt is 6,001 characters long; the limit is 6,000.",
    )
    assert "y" * 6001 in page  # what was typed is still there


def test_error_keeps_typed_values_and_valid_uploads_then_resubmits(
    owner_client, owner, post, task_queue
):
    good = image_bytes("PNG", size=(40, 30), color=(0, 128, 255))
    response = post(
        {
            "prompt": "keep this prompt",
            "aspect_ratio": "3:2",
            "style": "manga",
            "model": "uni-1-max",
            "output_format": "jpeg",
            "web_search": "on",
            "image_ref_url": "https://r.example/one.png\nftp://nope/x.png",
            "image_ref": [upload("good.png", good), upload("bad.png", b"text, not pixels")],
        }
    )
    page = assert_rejected(
        response, task_queue, "“bad.png”: this file is not a JPEG, PNG or WebP image."
    )
    assert "keep this prompt" in page
    assert re.search(r'name="aspect_ratio" value="3:2"[^>]*checked', page)
    assert '<option value="manga" selected>' in page
    assert '<option value="uni-1-max" selected>' in page
    assert '<option value="jpeg" selected>' in page
    assert re.search(r'name="web_search"[^>]*checked', page)
    assert "https://r.example/one.png\nftp://nope/x.png" in page

    staged = StagedUpload.objects.get()
    assert staged.user == owner and staged.original_name == "good.png"
    assert f'<input type="hidden" name="kept_ref" value="{staged.token}">' in page
    assert f'src="/uploads/{staged.token}/"' in page
    preview = owner_client.get(f"/uploads/{staged.token}/")
    assert preview.status_code == 200 and preview["Content-Type"] == "image/png"

    response = post(
        {
            "prompt": "keep this prompt",
            "model": "uni-1-max",
            "kept_ref": staged.token,
            "image_ref_url": "https://r.example/one.png",
        }
    )
    assert response.status_code == 302
    gen = Generation.objects.get()
    refs = list(gen.inputs.order_by("position"))
    assert [r.role for r in refs] == [Reference.Role.REFERENCE] * 2
    assert refs[0].original_name == "good.png" and refs[0].media_type == "image/png"
    assert refs[0].file.open("rb").read() == staged.file.open("rb").read()
    assert refs[1].url == "https://r.example/one.png"
    assert gen.estimated_price == Decimal("0.1060")
    assert task_queue.names() == ["submit"]


def test_htmx_error_answers_with_the_form_fragment(post, task_queue):
    response = post({"prompt": ""}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert '<form id="composer-form"' in page and "<html" not in page
    assert "Describe the image: the prompt is empty." in page
    assert Generation.objects.count() == 0 and task_queue.calls == []


def test_another_users_token_is_rejected_by_the_view(outsider, post, task_queue):
    theirs = keep_uploads(
        bound(outsider, {"prompt": ""}, {"image_ref": [png_upload("private.png")]})
    )
    token = theirs.kept_ref_items[0].token
    page = assert_rejected(post({"kept_ref": token}), task_queue, "no longer available")
    assert token not in page


def test_a_refused_reference_file_is_not_counted_again(owner):
    # 9 URLs + one good file + one refused file: 10 remain, so removing 1 is enough (the
    # refused file has its own error and is not kept).
    urls = [f"https://r.example/{i}.png" for i in range(9)]
    over = bound(
        owner,
        {"image_ref_url": urls},
        {"image_ref": [png_upload("good.png"), upload("bad.png", corrupt_png())]},
    )
    assert not over.is_valid()
    text = errors_text(over)
    assert "10 reference images were given; at most 9 can be used to generate. Remove 1." in text
    assert "11 reference images" not in text


@pytest.mark.parametrize("value", ["not a url", "cat"])
def test_text_that_is_no_address_is_called_not_a_valid_address(owner, value):
    form = bound(owner, {"image_ref_url": value})
    assert form.errors["image_ref_url"] == [f"“{value}”: this is not a valid web address."]
