"""The public side of a link: /s/<token>/ and its files, opened without signing in. It
shows the images (and the prompt only if chosen), nothing else, and stays out of search
engines and caches; a collection's link shows only its maker's own finished images."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.test import Client

from studio.collections import services as collection_services
from studio.generations import trash
from studio.generations.gallery import PAGE_SIZE
from studio.links import services
from studio.links.models import PublicLink
from tests.generations.helpers import complete, make_generation

from .helpers import anonymous, hrefs, srcs, url_of

pytestmark = pytest.mark.django_db


def _link(user, **kw) -> PublicLink:
    return services.make_link(user=user, **kw)


def _share(gen, team):
    gen.share_with(team)
    gen.save(update_fields=["team", "shared_at"])


def test_the_page_shows_the_image_and_nothing_else(owner, team):
    gen = complete(make_generation(owner, prompt="a secret lighthouse prompt"))
    _share(gen, team)
    link = _link(owner, generation=gen)
    out = gen.outputs.get()
    response = anonymous().get(url_of(link))
    html = response.content.decode()
    assert response.status_code == 200
    assert srcs(html) == [f"{url_of(link)}file/{out.pk}/"]
    # No prompt unless chosen, no name, no team, no way into the studio.
    assert "a secret lighthouse prompt" not in html and "lighthouse" not in html
    assert "owner" not in html and "Design" not in html and "design" not in html
    assert [h for h in hrefs(html) if not h.startswith(("/static/", url_of(link)))] == []
    assert f"/generations/{gen.pk}" not in html and "csrf" not in html.lower()


def test_the_page_is_kept_out_of_search_engines_and_caches(owner):
    gen = complete(make_generation(owner))
    link = _link(owner, generation=gen)
    response = anonymous().get(url_of(link))
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    file = anonymous().get(f"{url_of(link)}file/{gen.outputs.get().pk}/")
    assert "noindex" in file["X-Robots-Tag"] and file["Referrer-Policy"] == "no-referrer"
    assert file["Cache-Control"] == "private, max-age=300"
    gone = anonymous().get("/s/not-a-token/")
    assert gone.status_code == 404 and "noindex" in gone["X-Robots-Tag"]
    assert gone["Cache-Control"] == "no-store"


def test_the_prompt_shows_only_when_chosen(owner):
    gen = complete(make_generation(owner, prompt="a heron & its reflection"))
    hidden = anonymous().get(url_of(_link(owner, generation=gen))).content.decode()
    shown = anonymous().get(url_of(_link(owner, generation=gen, show_prompt=True)))
    assert "heron" not in hidden
    assert "a heron &amp; its reflection" in shown.content.decode()


def test_files_are_served_through_the_link_only_for_its_own_images(owner, outsider):
    gen = complete(make_generation(owner))
    other_of_mine = complete(make_generation(owner))
    theirs = complete(make_generation(outsider))
    link = _link(owner, generation=gen)
    viewer = anonymous()
    out = gen.outputs.get()
    original = viewer.get(f"{url_of(link)}file/{out.pk}/")
    assert original.status_code == 200 and original["Content-Type"] == "image/png"
    assert b"".join(original.streaming_content) == out.file.open("rb").read()
    thumb = viewer.get(f"{url_of(link)}thumb/{out.pk}/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    for other in (other_of_mine, theirs):
        other_out = other.outputs.get()
        assert viewer.get(f"{url_of(link)}file/{other_out.pk}/").status_code == 404
        assert viewer.get(f"{url_of(link)}thumb/{other_out.pk}/").status_code == 404
    assert viewer.get(f"{url_of(link)}file/99999999999999999999/").status_code == 404
    # The private file URLs stay shut to anyone not signed in.
    assert viewer.get(f"/generations/{gen.pk}/outputs/0/").status_code == 302


def test_a_trashed_image_answers_404_and_restoring_it_brings_the_link_back(owner_client, owner):
    gen = complete(make_generation(owner))
    link = _link(owner, generation=gen)
    out = gen.outputs.get()
    trash.trash([gen])
    assert anonymous().get(url_of(link)).status_code == 404
    listed = owner_client.get("/settings/links/").content.decode()
    assert "The image is in the trash: the link opens nothing until you restore it." in listed
    assert anonymous().get(f"{url_of(link)}file/{out.pk}/").status_code == 404
    assert PublicLink.objects.filter(pk=link.pk).exists()
    trash.restore(user=owner, ids=[gen.pk])
    assert anonymous().get(url_of(link)).status_code == 200
    assert anonymous().get(f"{url_of(link)}file/{out.pk}/").status_code == 200


def test_purging_or_deleting_the_image_deletes_its_link(owner):
    purged = complete(make_generation(owner))
    deleted = complete(make_generation(owner))
    kept = complete(make_generation(owner))
    _link(owner, generation=purged)
    _link(owner, generation=deleted)
    keep = _link(owner, generation=kept)
    trash.trash([purged])
    trash.empty(user=owner)
    deleted.delete()
    assert list(PublicLink.objects.all()) == [keep]


def test_views_are_counted_on_the_row_only(owner_client, owner):
    gen = complete(make_generation(owner))
    link = _link(owner, generation=gen)
    out = gen.outputs.get()
    anonymous().get(url_of(link))
    anonymous().get(url_of(link))
    anonymous().get(f"{url_of(link)}file/{out.pk}/")  # files are not page views
    owner_client.get(url_of(link))  # nor is its maker looking at it
    link.refresh_from_db()
    assert link.views == 2


def test_a_deactivated_makers_link_shows_nothing(owner):
    link = _link(owner, generation=complete(make_generation(owner)))
    owner.is_active = False
    owner.save()
    assert anonymous().get(url_of(link)).status_code == 404


def test_a_signed_in_visitor_sees_the_same_bare_page(client, owner, outsider):
    gen = complete(make_generation(owner))
    link = _link(owner, generation=gen)
    client.force_login(outsider)
    html = client.get(url_of(link)).content.decode()
    assert "outsider" not in html and "Log out" not in html and "account-menu" not in html


def test_a_collection_link_shows_only_its_makers_own_finished_images(owner, member, team):
    collection = collection_services.create_collection(user=owner, name="Board", team=team)
    mine = complete(make_generation(owner, prompt="mine"))
    teammates = complete(make_generation(member, prompt="a teammate's"))
    in_flight = make_generation(owner, prompt="not finished")
    in_trash = complete(make_generation(owner, prompt="in the trash"))
    unshared = complete(make_generation(owner, prompt="unshared later"))
    for gen in (mine, teammates, in_flight, in_trash, unshared):
        _share(gen, team)
    collection_services.add(
        user=owner,
        collection=collection,
        ids=[mine.pk, teammates.pk, in_flight.pk, in_trash.pk, unshared.pk],
    )
    trash.trash([in_trash])
    _share(unshared, None)  # out of the team's collection for everyone, its link included
    link = _link(owner, collection=collection, show_prompt=True)
    html = anonymous().get(url_of(link)).content.decode()
    shown = [mine.outputs.get().pk]
    assert srcs(html) == [f"{url_of(link)}thumb/{pk}/" for pk in shown]
    assert "mine" in html
    for gone in ("a teammate", "not finished", "in the trash", "unshared later", "Board"):
        assert gone not in html
    # The teammate's image is not reachable through the link either.
    other = teammates.outputs.get().pk
    assert anonymous().get(f"{url_of(link)}file/{other}/").status_code == 404
    assert anonymous().get(f"{url_of(link)}thumb/{other}/").status_code == 404
    assert anonymous().get(f"{url_of(link)}file/{shown[0]}/").status_code == 200


def test_a_makers_link_to_a_team_collection_ends_when_they_leave_the_team(owner, member, team):
    collection = collection_services.create_collection(user=member, name="Board", team=team)
    gen = complete(make_generation(member))
    _share(gen, team)
    collection_services.add(user=member, collection=collection, ids=[gen.pk])
    link = _link(member, collection=collection)
    out = gen.outputs.get()
    assert srcs(anonymous().get(url_of(link)).content.decode()) != []
    team.memberships.filter(user=member).delete()
    assert anonymous().get(url_of(link)).status_code == 404
    assert anonymous().get(f"{url_of(link)}file/{out.pk}/").status_code == 404


def test_a_collection_link_pages_in_the_collections_order_without_n_plus_1(
    owner, django_assert_max_num_queries
):
    collection = collection_services.create_collection(user=owner, name="Many")
    gens = [complete(make_generation(owner)) for _ in range(PAGE_SIZE + 3)]
    # Added one by one, each at the top: the collection's order is the newest added first.
    for gen in gens:
        collection_services.add(user=owner, collection=collection, ids=[gen.pk])
    link = _link(owner, collection=collection)
    viewer = anonymous()
    with django_assert_max_num_queries(6):
        first = viewer.get(url_of(link)).content.decode()
    expected = [g.outputs.get().pk for g in reversed(gens)]
    assert srcs(first) == [f"{url_of(link)}thumb/{pk}/" for pk in expected[:PAGE_SIZE]]
    more = re.search(r'href="(\?cursor=[^"]+)"', first).group(1)
    with django_assert_max_num_queries(6):
        second = viewer.get(url_of(link) + more.replace("&amp;", "&")).content.decode()
    assert srcs(second) == [f"{url_of(link)}thumb/{pk}/" for pk in expected[PAGE_SIZE:]]
    assert "cursor=" not in second
    # Each opens large: the thumbnail links to the original.
    assert f'href="{url_of(link)}file/{expected[0]}/"' in first
    link.refresh_from_db()
    assert link.views == 1  # the next pages are the same view
    assert viewer.get(url_of(link) + "?cursor=garbage").status_code == 404


def test_one_address_is_limited_and_told_when_to_come_back(owner, settings):
    settings.PUBLIC_LINK_RATE_PER_MINUTE = 3
    gen = complete(make_generation(owner))
    link = _link(owner, generation=gen)
    out = gen.outputs.get()
    visitor = anonymous()
    assert visitor.get(url_of(link)).status_code == 200
    assert visitor.get(f"{url_of(link)}thumb/{out.pk}/").status_code == 200
    assert visitor.get(f"{url_of(link)}file/{out.pk}/").status_code == 200
    refused = visitor.get(url_of(link))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    html = refused.content.decode()
    assert f"Try again in {refused['Retry-After']} second" in html
    assert "noindex" in refused["X-Robots-Tag"] and refused["Cache-Control"] == "no-store"
    file = visitor.get(f"{url_of(link)}file/{out.pk}/")
    assert file.status_code == 429 and file["Retry-After"] and file.content == b""
    link.refresh_from_db()
    assert link.views == 1  # the refused page is not a view
    # Another address has its own count; a link that opens nothing is counted too (a
    # script guessing tokens is limited like one reading a link).
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.get(url_of(link)).status_code == 200
    for _ in range(2):
        other.get("/s/not-a-token/")
    assert other.get("/s/not-a-token/").status_code == 429


def test_no_limit_when_set_to_zero(owner, settings):
    settings.PUBLIC_LINK_RATE_PER_MINUTE = 0
    link = _link(owner, generation=complete(make_generation(owner)))
    visitor = anonymous()
    assert all(visitor.get(url_of(link)).status_code == 200 for _ in range(5))


def test_a_counter_that_cannot_be_reached_lets_people_through(owner, settings, monkeypatch):
    settings.PUBLIC_LINK_RATE_PER_MINUTE = 1
    link = _link(owner, generation=complete(make_generation(owner)))

    def cut(*args, **kwargs):
        raise ConnectionError("Redis is being restarted")

    monkeypatch.setattr(caches["throttle"], "incr", cut)
    visitor = anonymous()
    assert [visitor.get(url_of(link)).status_code for _ in range(3)] == [200, 200, 200]
