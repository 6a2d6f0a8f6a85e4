""" "Use as reference": a completed image joins the composer's kept references as
a staged copy of the person's own, without a download; "Copy prompt" carries the prompt."""

from __future__ import annotations

import re

import pytest

from studio.generations.models import Generation
from studio.uploads.models import StagedUpload
from studio.upstream import facts
from tests.htmx import HTMX

from .helpers import FORM, complete, form_values, make_generation

pytestmark = pytest.mark.django_db


def _url(gen, position=0):
    return f"/generations/{gen.pk}/outputs/{position}/reference/"


def test_htmx_answers_a_kept_reference_thumb(owner_client, owner):
    gen = complete(make_generation(owner))
    response = owner_client.post(_url(gen), {"type": "image"}, **HTMX)
    assert response.status_code == 200
    staged = StagedUpload.objects.get(user=owner, origin=f"output:{gen.outputs.get().pk}")
    html = response.content.decode()
    assert f'<input type="hidden" name="kept_ref" value="{staged.token}">' in html
    assert f"/uploads/{staged.token}/" in html or staged.token in html
    assert 'hx-swap-oob="innerHTML"' in html and "added to the reference images" in html
    assert staged.original_name == f"studio-{gen.pk}-1.png"
    assert not re.search(r"\{[#%{]", html)  # no template text in the fragment


def test_the_kept_reference_is_sent_with_the_next_submit(owner_client, owner):
    gen = complete(make_generation(owner))
    html = owner_client.post(_url(gen), {"type": "image"}, **HTMX).content.decode()
    token = form_values(html)["kept_ref"][0]
    assert owner_client.post("/generations/", {**FORM, "kept_ref": token}).status_code == 302
    new = Generation.objects.exclude(pk=gen.pk).get()
    (ref,) = new.inputs.all()
    assert ref.role == "reference" and ref.file and (ref.width, ref.height) == (64, 36)


def test_a_full_form_is_refused_with_a_clear_message(owner_client, owner):
    gen = complete(make_generation(owner))
    limit = facts.MAX_REFS["image"]
    data = {"type": "image", "kept_ref": [f"t{i}" for i in range(limit - 1)], "other_refs": "1"}
    response = owner_client.post(_url(gen), data, **HTMX)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")  # shown in the page's toast
    assert f"already has {limit} reference images" in response.content.decode()
    assert not StagedUpload.objects.filter(user=owner).exists()


def test_editing_counts_the_edit_limit(owner_client, owner):
    gen = complete(make_generation(owner))
    limit = facts.MAX_REFS["image_edit"]
    data = {"type": "image_edit", "other_refs": str(limit)}
    response = owner_client.post(_url(gen), data, **HTMX)
    assert response.status_code == 400 and "when editing" in response.content.decode()
    data["other_refs"] = str(limit - 1)
    assert owner_client.post(_url(gen), data, **HTMX).status_code == 200


def test_the_same_image_twice_is_refused(owner_client, owner):
    gen = complete(make_generation(owner))
    token = form_values(owner_client.post(_url(gen), {}, **HTMX).content.decode())["kept_ref"][0]
    response = owner_client.post(_url(gen), {"kept_ref": token}, **HTMX)
    assert response.status_code == 400 and "already among the references" in response.text


def test_without_htmx_the_studio_opens_with_it_kept(owner_client, owner):
    gen = complete(make_generation(owner))
    response = owner_client.post(_url(gen))
    assert response.status_code == 302
    assert response["Location"] == f"/?reference={gen.pk}&output=0"
    page = owner_client.get(response["Location"]).content.decode()
    staged = StagedUpload.objects.get(user=owner)
    assert f'name="kept_ref" value="{staged.token}"' in page


def test_a_teammate_viewer_may_use_it_and_gets_their_own_copy(client, owner, member, team):
    gen = complete(make_generation(owner))
    Generation.objects.filter(pk=gen.pk).update(team=team)
    member.memberships.update(role="viewer")
    client.force_login(member)
    assert client.post(_url(gen), {}, **HTMX).status_code == 200
    assert StagedUpload.objects.get().user == member


def test_outsiders_and_missing_images_get_404(client, owner, outsider):
    done = complete(make_generation(owner))
    pending = make_generation(owner)
    client.force_login(outsider)
    assert client.post(_url(done), {}, **HTMX).status_code == 404
    assert client.get(f"/?reference={done.pk}&output=0").status_code == 404
    client.force_login(owner)
    assert client.post(_url(pending), {}, **HTMX).status_code == 404
    assert client.post(_url(done, 3), {}, **HTMX).status_code == 404
    assert client.get(f"/?reference={done.pk}&output=x").status_code == 404
    assert not StagedUpload.objects.exists()


def test_get_is_not_allowed(owner_client, owner):
    gen = complete(make_generation(owner))
    assert owner_client.get(_url(gen)).status_code == 405


def test_cards_offer_the_viewer_and_the_actions(owner_client, owner, team):
    done = complete(make_generation(owner, prompt='say "hi" & <wave>'))
    pending = make_generation(owner)
    html = owner_client.get("/").content.decode()
    card = html[html.index(f'id="gen-{done.pk}"') :]
    card = card[: card.index("</article>")]
    assert f'data-viewer-src="/generations/{done.pk}/outputs/0/"' in card
    assert f'hx-post="/generations/{done.pk}/outputs/0/reference/"' in card
    assert f'href="/?reference={done.pk}&amp;output=0"' in card
    assert 'data-copy-prompt="say &quot;hi&quot; &amp; &lt;wave&gt;"' in card
    for action in ["Download", "Remix", "Edit this image", "Delete", "Copy prompt"]:
        assert f">{action}</" in card
    other = html[html.index(f'id="gen-{pending.pk}"') :]
    other = other[: other.index("</article>")]
    assert "data-viewer-src" not in other and "Use as reference" not in other
    assert '<dialog class="viewer" id="viewer"' in html


def test_team_cards_link_to_the_studio_prefill(client, owner, member, team):
    done = complete(make_generation(owner))
    Generation.objects.filter(pk=done.pk).update(team=team)
    client.force_login(member)
    html = client.get(f"/teams/{team.slug}/").content.decode()
    assert f'href="/?reference={done.pk}&amp;output=0"' in html
    assert "/reference/" not in html  # no composer on a team page: the link opens one
    assert "Delete</a>" not in html  # not theirs


def test_detail_page_has_copy_prompt_and_use_as_reference(owner_client, owner):
    done = complete(make_generation(owner, prompt="a quiet harbour"))
    html = owner_client.get(f"/generations/{done.pk}/").content.decode()
    assert 'data-copy-prompt="a quiet harbour"' in html
    assert f'href="/?reference={done.pk}&amp;output=0"' in html
