"""Sharing after the fact, per-person stars, and the team gallery's slow check for news."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations import services
from studio.generations.models import Favourite, Generation, Output
from studio.teams.models import Membership, Team
from tests.generations.helpers import complete, fill, make_generation
from tests.htmx import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(team):
    user = get_user_model().objects.create_user("vera")
    Membership.objects.create(team=team, user=user, role=Membership.Role.VIEWER)
    return user


def test_the_author_shares_from_the_card_and_htmx_swaps_it(client, member, team, task_queue):
    gen = complete(make_generation(member, prompt="a boat"))
    files = sorted(str(p) for p in Output.objects.values_list("file", flat=True))
    client.force_login(member)
    body = client.post(f"/generations/{gen.pk}/share/", {"team": "design"}, **HTMX)
    html = body.content.decode()
    assert html.lstrip().startswith('<article class="card')
    assert 'data-shared-with="design"' in html
    gen.refresh_from_db()
    assert gen.team == team and gen.shared_at is not None
    # Sharing copies no file: the team reaches the same ones through the access check.
    assert sorted(str(p) for p in Output.objects.values_list("file", flat=True)) == files


def test_without_javascript_sharing_redirects_back(client, member, team, task_queue):
    gen = make_generation(member)
    client.force_login(member)
    response = client.post(f"/generations/{gen.pk}/share/", {"team": "design", "next": "/?q=boat"})
    assert response["Location"] == "/?q=boat"
    response = client.post(f"/generations/{gen.pk}/share/", {"team": ""})
    assert response["Location"] == f"/generations/{gen.pk}/"
    assert Generation.objects.get(pk=gen.pk).team is None


def test_the_card_menu_offers_the_teams_i_may_share_with(client, member, team, task_queue):
    Team.objects.create(name="Strangers", slug="strangers")
    gen = make_generation(member)
    client.force_login(member)
    page = client.get("/").content.decode()
    assert f'action="/generations/{gen.pk}/share/"' in page
    assert '<option value="design">Design</option>' in page and "strangers" not in page


def test_a_viewer_may_not_share_and_an_unknown_team_is_404(client, viewer, team, task_queue):
    gen = make_generation(viewer)
    client.force_login(viewer)
    assert client.post(f"/generations/{gen.pk}/share/", {"team": "design"}).status_code == 404
    assert client.post(f"/generations/{gen.pk}/share/", {"team": "nope"}).status_code == 404
    assert Generation.objects.get(pk=gen.pk).team is None
    assert f"/generations/{gen.pk}/share/" not in client.get("/").content.decode()


def test_an_owner_takes_an_item_out_of_the_team_gallery(client, owner, member, team, task_queue):
    gen = make_generation(member)
    services.share(user=member, generation=gen, team=team)
    client.force_login(owner)
    page = client.get("/teams/design/").content.decode()
    assert "Remove from Design" in page
    response = client.post(
        f"/generations/{gen.pk}/share/", {"team": "", "from_team": "design"}, **HTMX
    )
    # The card leaves the team page it was shown on; the generation stays its author's.
    assert response["HX-Reswap"] == "delete"
    gen.refresh_from_db()
    assert gen.team is None and gen.user == member


def test_the_services_refuse_what_access_refuses(member, owner, viewer, team, task_queue):
    gen = make_generation(member)
    with pytest.raises(Http404):
        services.share(user=viewer, generation=gen, team=team)
    services.share(user=member, generation=gen, team=team)
    with pytest.raises(Http404):
        services.unshare(user=viewer, generation=gen)
    services.unshare(user=owner, generation=gen)
    assert gen.team is None
    with pytest.raises(Http404):
        services.set_favourite(user=viewer, generation=gen, on=True)


def test_stars_belong_to_each_person(client, member, viewer, team, task_queue):
    gen = make_generation(member)
    services.share(user=member, generation=gen, team=team)
    services.set_favourite(user=member, generation=gen, on=True)
    client.force_login(viewer)
    card = client.get("/teams/design/").content.decode()
    assert 'aria-pressed="false"' in card  # the author's star is not the viewer's
    assert (
        client.get("/teams/design/?favourite=1", **HTMX)
        .content.decode()
        .count("data-generation-id")
        == 0
    )
    client.post(f"/generations/{gen.pk}/favourite/", **HTMX)
    mine = client.get("/teams/design/?favourite=1", **HTMX).content.decode()
    assert f'data-generation-id="{gen.pk}"' in mine
    client.post(f"/generations/{gen.pk}/favourite/", **HTMX)  # the viewer unstars
    assert list(Favourite.objects.values_list("user__username", flat=True)) == ["member"]


def test_personal_cards_say_with_which_team_and_the_detail_leads_back(
    client, member, team, task_queue
):
    gen = make_generation(member)
    services.share(user=member, generation=gen, team=team)
    client.force_login(member)
    assert 'data-shared-with="design"' in client.get("/").content.decode()
    team_page = client.get("/teams/design/").content.decode()
    assert f'href="/generations/{gen.pk}/?team=design"' in team_page
    detail = client.get(f"/generations/{gen.pk}/?team=design").content.decode()
    assert 'href="/teams/design/">← Back to Design' in detail
    assert 'data-author="member"' in detail


def test_the_slow_check_answers_204_until_something_is_shared(
    client, owner, member, viewer, team, task_queue, settings
):
    client.force_login(viewer)
    page = client.get("/teams/design/").content.decode()
    assert 'id="team-news" data-every="15"' in page and "js/news.js" in page
    since = timezone.now().isoformat()
    url = f"/teams/design/?shared_after={since.replace('+', '%2B')}"
    assert client.get(url, **HTMX).status_code == 204
    old = make_generation(member, prompt="made last week")
    services.share(user=member, generation=old, team=team)
    body = client.get(url, **HTMX).content.decode()
    assert f'data-generation-id="{old.pk}"' in body and 'data-author="member"' in body
    assert 'hx-swap-oob="afterbegin:#gallery"' in body
    # The checker comes back asking from the newest item on: nothing new again.
    next_url = body.split('id="team-news"')[1].split('hx-get="')[1].split('"')[0]
    assert client.get(next_url.replace("&amp;", "&"), **HTMX).status_code == 204


def test_the_personal_gallery_has_no_slow_check(owner_client):
    assert 'id="team-news"' not in owner_client.get("/").content.decode()


def _team_gallery_queries(client, team, n: int) -> int:
    authors = [get_user_model().objects.create_user(f"author{n}-{i}") for i in range(3)]
    for i, author in enumerate(authors):
        Membership.objects.create(team=team, user=author, role=Membership.Role.EDITOR)
        for gen in fill(author, n // 3 + (1 if i < n % 3 else 0)):
            complete(gen)
            Generation.objects.filter(pk=gen.pk).update(team=team)
            Favourite.objects.create(user=author, generation=gen)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/teams/design/")
    assert response.content.decode().count("data-author=") == min(n, 24)
    return len(ctx.captured_queries)


def test_the_team_gallery_query_count_is_constant(client, member, team, task_queue):
    client.force_login(member)
    few = _team_gallery_queries(client, team, 5)
    Generation.objects.all().delete()
    many = _team_gallery_queries(client, team, 50)
    assert few == many
