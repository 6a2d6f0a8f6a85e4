"""The /teams/ page counts every member of each team, not only the viewer's own row."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from studio.teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def test_the_team_list_counts_all_members(client, owner, member, team):
    for name in ("carol", "dave"):
        user = get_user_model().objects.create_user(name)
        Membership.objects.create(team=team, user=user, role=Membership.Role.VIEWER)
    client.force_login(member)
    teams = client.get("/teams/").context["teams"]
    assert [(t.slug, t.member_count) for t in teams] == [("design", 4)]


def test_role_filters_still_name_only_the_persons_teams(owner, member, team):
    Team.objects.create(name="Other", slug="other")
    assert list(Team.objects.for_member(member)) == [team]
    assert list(Team.objects.managed_by(member)) == []
    assert list(Team.objects.shareable_by(member).with_counts())[0].member_count == 2
