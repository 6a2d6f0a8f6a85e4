"""Public links: who may make and revoke one, from which page, with which choices; the
audit rows; the limit; what the owner's list shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.collections import services as collection_services
from studio.generations.models import Generation, State
from studio.links import services, tokens
from studio.links.models import PublicLink
from studio.moderation.models import AuditEntry
from tests.generations.helpers import complete, form_values, make_generation

from .helpers import anonymous, make, url_of

pytestmark = pytest.mark.django_db


def test_the_owner_makes_a_link_from_the_detail_page(owner_client, owner):
    gen = complete(make_generation(owner))
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert f'action="/generations/{gen.pk}/link/"' in page
    # Off by default: the prompt is shown only when the person ticks it.
    assert form_values(page).get("show_prompt") is None
    response = make(owner_client, gen)
    link = PublicLink.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/generations/{gen.pk}/?link={link.pk}#public-links"
    assert (link.user, link.generation, link.collection) == (owner, gen, None)
    assert link.show_prompt is False and link.expires_at is None and link.views == 0
    # Back on the page: the panel opens on the new link's full address, ready to copy.
    page = owner_client.get(response["Location"]).content.decode()
    assert f"http://testserver{url_of(link)}" in page and "data-new-link" in page
    assert anonymous().get(url_of(link)).status_code == 200


def test_making_and_revoking_are_audited(owner_client, owner):
    gen = complete(make_generation(owner))
    make(owner_client, gen, show_prompt="on", expires="7")
    link = PublicLink.objects.get()
    made = AuditEntry.objects.get(action="link.create")
    assert made.actor == owner and made.subject == owner
    assert made.after["generation"] == gen.pk and made.after["show_prompt"] is True
    assert made.after["expires_at"]
    anonymous().get(url_of(link))
    response = owner_client.post(f"/settings/links/{link.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/settings/links/"
    revoked = AuditEntry.objects.get(action="link.revoke")
    assert revoked.actor == owner and revoked.before["views"] == 1
    assert f"links.publiclink#{link.pk}" in revoked.target
    # Views are only counted: no audit row, no other row per view.
    assert AuditEntry.objects.count() == 2


def test_revoked_link_answers_404_with_its_files(owner_client, owner):
    gen = complete(make_generation(owner))
    make(owner_client, gen)
    link = PublicLink.objects.get()
    out = gen.outputs.get()
    viewer = anonymous()
    assert viewer.get(f"{url_of(link)}file/{out.pk}/").status_code == 200
    owner_client.post(f"/settings/links/{link.pk}/revoke/", {"next": f"/generations/{gen.pk}/"})
    assert not PublicLink.objects.exists()
    assert viewer.get(url_of(link)).status_code == 404
    assert viewer.get(f"{url_of(link)}file/{out.pk}/").status_code == 404
    assert viewer.get(f"{url_of(link)}thumb/{out.pk}/").status_code == 404


def test_an_outsider_gets_404_making_or_revoking(client, owner, outsider, member, team):
    gen = complete(make_generation(owner))
    gen.share_with(team)
    gen.save(update_fields=["team", "shared_at"])
    collection = collection_services.create_collection(user=owner, name="Mine")
    team_collection = collection_services.create_collection(user=owner, name="Ours", team=team)
    for person in (outsider, member):  # a teammate who sees the image is no author of it
        client.force_login(person)
        assert make(client, gen).status_code == 404
        assert client.get(f"/generations/{gen.pk}/link/").status_code == 404
        for c in (collection, team_collection):
            response = client.post(f"/collections/{c.pk}/link/", {"expires": "never"})
            assert response.status_code == 404
    assert not PublicLink.objects.exists()
    # A teammate sees the image's page, without the panel.
    assert "public-links" not in client.get(f"/generations/{gen.pk}/").content.decode()
    client.force_login(owner)
    make(client, gen)
    link = PublicLink.objects.get()
    client.force_login(outsider)
    assert client.post(f"/settings/links/{link.pk}/revoke/").status_code == 404
    assert client.post("/settings/links/nope/revoke/").status_code == 404
    assert PublicLink.objects.filter(pk=link.pk).exists()
    assert f"link-{link.pk}" not in client.get("/settings/links/").content.decode()
    assert not AuditEntry.objects.filter(action="link.revoke").exists()


def test_only_a_completed_image_can_be_linked(owner_client, owner):
    waiting = make_generation(owner)
    response = make(owner_client, waiting)
    assert response.status_code == 400
    assert "Only a finished image can be shared by link" in response.content.decode()
    page = owner_client.get(f"/generations/{waiting.pk}/").content.decode()
    assert "A public link can be made once the image is finished." in page
    failed = make_generation(owner)
    Generation.objects.filter(pk=failed.pk).update(state=State.FAILED, failure_code="x")
    response = make(owner_client, failed)
    assert response.status_code == 400 and "This image failed" in response.content.decode()
    assert not PublicLink.objects.exists()


def test_a_bad_expiry_is_a_form_error_naming_the_field(owner_client, owner):
    gen = complete(make_generation(owner))
    response = make(owner_client, gen, expires="fortnight", show_prompt="on")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Expires: choose never, in 1, 7 or 30 days, or a date." in html
    assert form_values(html)["show_prompt"] == ["on"]  # what was chosen stays chosen
    response = make(owner_client, gen, expires="date", expires_on="2026-13-45")
    html = response.content.decode()
    assert response.status_code == 400 and "Expiry date: write it as YYYY-MM-DD." in html
    assert form_values(html)["expires_on"] == ["2026-13-45"]
    assert form_values(html)["expires"] == ["date"]
    response = make(owner_client, gen, expires="date", expires_on="")
    assert "Expiry date: pick the day" in response.content.decode()
    response = make(owner_client, gen, expires="date", expires_on="2001-01-01")
    assert "Expiry date: pick today or a later day." in response.content.decode()
    response = make(owner_client, gen, expires="\x00")
    assert response.status_code == 400
    assert not PublicLink.objects.exists()


def test_expiry_after_days_or_on_a_date(owner_client, owner):
    gen = complete(make_generation(owner))
    make(owner_client, gen, expires="1")
    in_a_day = PublicLink.objects.get()
    assert abs(in_a_day.expires_at - (timezone.now() + timedelta(days=1))) < timedelta(minutes=1)
    day = (timezone.now() + timedelta(days=10)).astimezone(UTC).date()
    make(owner_client, gen, expires="date", expires_on=day.isoformat())
    on_a_date = PublicLink.objects.exclude(pk=in_a_day.pk).get()
    # The whole of that day (UTC).
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert on_a_date.expires_at == end


def test_an_expired_link_answers_404(owner_client, owner):
    gen = complete(make_generation(owner))
    make(owner_client, gen, expires="1")
    link = PublicLink.objects.get()
    out = gen.outputs.get()
    assert anonymous().get(url_of(link)).status_code == 200
    PublicLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert anonymous().get(url_of(link)).status_code == 404
    assert anonymous().get(f"{url_of(link)}file/{out.pk}/").status_code == 404
    make(owner_client, gen)
    live = PublicLink.objects.exclude(pk=link.pk).get()
    PublicLink.objects.filter(pk=live.pk).update(created_at=link.created_at - timedelta(hours=1))
    listed = owner_client.get("/settings/links/").content.decode()
    assert "Expired: the link opens nothing." in listed and ">Remove<" in listed
    # Live links first: the expired one comes after an older live one.
    order = [int(pk) for pk in re.findall(r'data-public-link="(\d+)"', listed)]
    assert order == [live.pk, link.pk]


def test_a_person_has_at_most_so_many_live_links(owner_client, owner, settings):
    settings.STUDIO_PUBLIC_LINKS_MAX = 2
    gen = complete(make_generation(owner))
    assert make(owner_client, gen).status_code == 302
    assert make(owner_client, gen).status_code == 302
    response = make(owner_client, gen)
    assert response.status_code == 400
    assert "You have 2 live public links, the most one person may have" in response.content.decode()
    assert PublicLink.objects.count() == 2
    # An expired link does not count.
    PublicLink.objects.filter(pk=PublicLink.objects.first().pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    assert make(owner_client, gen).status_code == 302


def test_my_links_lists_each_with_its_address_and_views(owner_client, owner, outsider):
    gen = complete(make_generation(owner, prompt="a heron in the reeds"))
    collection = collection_services.create_collection(user=owner, name="Birds")
    make(owner_client, gen, show_prompt="on", expires="30")
    owner_client.post(f"/collections/{collection.pk}/link/", {"expires": "never"})
    image_link = PublicLink.objects.get(generation=gen)
    collection_link = PublicLink.objects.get(collection=collection)
    theirs = complete(make_generation(outsider, prompt="someone else's fox"))
    PublicLink.objects.create(key=tokens.new_key(), user=outsider, generation=theirs)
    anonymous().get(url_of(image_link))
    anonymous().get(url_of(image_link))
    page = owner_client.get("/settings/links/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"http://testserver{url_of(image_link)}" in html
    assert f"http://testserver{url_of(collection_link)}" in html
    assert "a heron in the reeds" in html and "Birds" in html
    assert "someone else's fox" not in html
    assert "2 views" in html and "with the prompt" in html and "never expires" in html
    assert f'src="/generations/{gen.pk}/outputs/0/thumb/"' in html
    assert "data-copy-link" in html and "data-link-confirm" in html
    # Reached from the account menu.
    assert 'href="/settings/links/"' in owner_client.get("/").content.decode()
    assert anonymous().get("/settings/links/").status_code == 302


def test_the_list_is_drawn_in_a_fixed_number_of_queries(
    owner_client, owner, django_assert_max_num_queries
):
    for _ in range(6):
        make(owner_client, complete(make_generation(owner)))
    with django_assert_max_num_queries(12):
        assert owner_client.get("/settings/links/").status_code == 200


def test_a_collection_link_is_made_by_the_collections_maker(client, owner, member, team):
    collection = collection_services.create_collection(user=owner, name="Ours", team=team)
    client.force_login(member)
    page = client.get(f"/collections/{collection.pk}/").content.decode()
    assert "public-links" not in page  # a teammate sees the collection, not its maker's panel
    client.force_login(owner)
    page = client.get(f"/collections/{collection.pk}/").content.decode()
    assert f'action="/collections/{collection.pk}/link/"' in page
    response = client.post(
        f"/collections/{collection.pk}/link/",
        {"expires": "never", "next": f"/collections/{collection.pk}/"},
    )
    link = PublicLink.objects.get()
    assert response["Location"] == f"/collections/{collection.pk}/?link={link.pk}#public-links"
    assert link.collection == collection and link.generation is None
    assert AuditEntry.objects.get(action="link.create").after["collection"] == collection.pk


def test_a_foreign_next_is_not_followed(owner_client, owner):
    gen = complete(make_generation(owner))
    response = make(owner_client, gen, next="https://evil.example/")
    link = PublicLink.objects.get()
    assert response["Location"] == f"/generations/{gen.pk}/?link={link.pk}#public-links"


def test_the_token_is_unguessable_and_not_stored(owner_client, owner):
    gen = complete(make_generation(owner))
    make(owner_client, gen)
    link = PublicLink.objects.get()
    token = tokens.token_for(link.key)
    assert len(token) == 44 and len(link.key) == 22  # 128 random bits + a 128-bit HMAC
    stored = [str(v) for v in PublicLink.objects.values().get().values()]
    assert not any(token in value or token[22:] in value for value in stored)
    # A token with the right key and a wrong half, or cut short, opens nothing.
    forged = link.key + ("A" if token[22] != "A" else "B") + token[23:]
    assert anonymous().get(f"/s/{forged}/").status_code == 404
    assert anonymous().get(f"/s/{token[:-1]}/").status_code == 404


def test_a_link_keeps_working_after_a_key_rotation_with_the_old_key_kept(
    owner_client, owner, settings
):
    gen = complete(make_generation(owner))
    make(owner_client, gen)
    old_url = url_of(PublicLink.objects.get())
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert anonymous().get(old_url).status_code == 200
    assert url_of(PublicLink.objects.get()) != old_url
    assert anonymous().get(url_of(PublicLink.objects.get())).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert anonymous().get(old_url).status_code == 404


def test_an_operator_revokes_an_abused_link_in_the_admin_audited(client, owner):
    staff = get_user_model().objects.create_superuser("root", password="pw-root-123")
    link = services.make_link(user=owner, generation=complete(make_generation(owner)))
    client.force_login(staff)
    listing = client.get("/admin/links/publiclink/")
    assert listing.status_code == 200 and tokens.token_for(link.key) not in listing.content.decode()
    page = client.get(f"/admin/links/publiclink/{link.pk}/change/")
    assert page.status_code == 200 and link.key not in page.content.decode()
    response = client.post(f"/admin/links/publiclink/{link.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not PublicLink.objects.exists()
    revoked = AuditEntry.objects.get(action="link.revoke")
    assert revoked.actor == staff and revoked.subject == owner
    assert anonymous().get(url_of(link)).status_code == 404
