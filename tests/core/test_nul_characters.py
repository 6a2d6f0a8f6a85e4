"""NUL characters in requests: PostgreSQL cannot store or compare them, so a raw lookup
with one (a username to add, a team slug to share with) was a 500 there. A query string
has them dropped; a form post with one gets a 400 and changes nothing. The hypothesis pass
sends any text to every form that reads raw POST values."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from studio.generations.models import Generation
from studio.teams.models import Membership, Team
from tests.generations.helpers import DEFAULTS, make_generation

pytestmark = pytest.mark.django_db


def test_a_form_post_with_nul_is_refused_and_changes_nothing(owner_client, owner, team):
    response = owner_client.post("/teams/", {"name": "Night\x00shift"})
    assert response.status_code == 400
    assert "NUL" in response.text
    assert not Team.objects.filter(name__startswith="Night").exists()


def test_adding_a_member_named_with_nul_is_refused(owner_client, team, outsider):
    response = owner_client.post(
        f"/teams/{team.slug}/members/", {"username": "outsider\x00", "role": "viewer"}
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(team=team, user=outsider).exists()


def test_sharing_with_a_nul_team_is_refused(owner_client, owner, team):
    gen = make_generation(owner, **DEFAULTS)
    response = owner_client.post(f"/generations/{gen.pk}/share/", {"team": "design\x00"})
    assert response.status_code == 400
    gen.refresh_from_db()
    assert gen.team is None


def test_a_query_with_nul_still_opens_the_page_with_it_dropped(owner_client, owner, team):
    make_generation(owner, **{**DEFAULTS, "prompt": "a lighthouse at dusk"})
    response = owner_client.get("/", {"q": "light\x00house"})
    assert response.status_code == 200
    assert 'value="lighthouse"' in response.text
    assert owner_client.get(f"/teams/{team.slug}/", {"q": "\x00"}).status_code == 200


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
NULLY = st.one_of(TEXT, TEXT.map(lambda t: t + "\x00"))


@hsettings(
    max_examples=60,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(["teams", "default", "members", "share", "bulk", "role", "rename"]),
    value=NULLY,
)
def test_raw_post_fields_never_fail(owner_client, owner, team, member, target, value):
    gen = Generation.objects.filter(user=owner).first() or make_generation(owner, **DEFAULTS)
    url, data = {
        "teams": ("/teams/", {"name": value}),
        "default": ("/teams/", {"default": value}),
        "members": (f"/teams/{team.slug}/members/", {"username": value, "role": value}),
        "share": (f"/generations/{gen.pk}/share/", {"team": value}),
        "bulk": ("/generations/bulk/", {"action": "share", "ids": [str(gen.pk)], "team": value}),
        "role": (f"/teams/{team.slug}/members/{member.username}/", {"role": value}),
        "rename": (f"/teams/{team.slug}/rename/", {"name": value}),
    }[target]
    response = owner_client.post(url, data)
    assert response.status_code < 500, (url, data, response.status_code)
    if "\x00" in value:
        assert response.status_code == 400
