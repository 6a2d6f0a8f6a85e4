"""The team rules other apps ask: who belongs to a team, and who may share with it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from studio.teams.models import Membership, Team

pytestmark = pytest.mark.django_db

Role = Membership.Role


@pytest.fixture
def people(db):
    make = get_user_model().objects.create_user
    return {name: make(name) for name in ["olga", "eddie", "vera", "oscar"]}


@pytest.fixture
def design(people):
    team = Team.objects.create(name="Design", slug="design")
    for name, role in [("olga", Role.OWNER), ("eddie", Role.EDITOR), ("vera", Role.VIEWER)]:
        Membership.objects.create(team=team, user=people[name], role=role)
    return team


@pytest.fixture
def archive(people):
    """A second team, named to sort before Design, where Vera is an editor."""
    team = Team.objects.create(name="Archive", slug="archive")
    Membership.objects.create(team=team, user=people["vera"], role=Role.EDITOR)
    return team


def test_for_member_is_every_team_in_any_role_by_name(people, design, archive):
    assert list(Team.objects.for_member(people["olga"])) == [design]
    assert list(Team.objects.for_member(people["eddie"])) == [design]
    assert list(Team.objects.for_member(people["vera"])) == [archive, design]
    assert list(Team.objects.for_member(people["oscar"])) == []


def test_shareable_by_is_only_where_one_edits_or_owns(people, design, archive):
    assert list(Team.objects.shareable_by(people["olga"])) == [design]
    assert list(Team.objects.shareable_by(people["eddie"])) == [design]
    # Viewer in Design, editor in Archive: the role must be held in the same team.
    assert list(Team.objects.shareable_by(people["vera"])) == [archive]
    assert list(Team.objects.shareable_by(people["oscar"])) == []


def test_nobody_signed_in_belongs_to_no_team(design):
    anonymous = AnonymousUser()
    assert list(Team.objects.for_member(anonymous)) == []
    assert list(Team.objects.shareable_by(anonymous)) == []
    assert list(Team.objects.for_member(None)) == []
    assert Membership.objects.role_of(anonymous, design) is None
    assert not design.is_member(anonymous) and not design.can_share(anonymous)


@pytest.mark.parametrize(
    "name,role,member,shares",
    [
        ("olga", "owner", True, True),
        ("eddie", "editor", True, True),
        ("vera", "viewer", True, False),
        ("oscar", None, False, False),
    ],
)
def test_membership_checks(people, design, name, role, member, shares):
    user = people[name]
    assert Membership.objects.role_of(user, design) == role
    assert design.role_of(user) == role
    assert design.is_member(user) is member
    assert design.can_share(user) is shares


def test_role_of_no_team_is_none(people):
    assert Membership.objects.role_of(people["olga"], None) is None


def test_a_changed_role_changes_the_answer(people, design):
    Membership.objects.filter(team=design, user=people["eddie"]).update(role=Role.VIEWER)
    assert not design.can_share(people["eddie"])
    assert list(Team.objects.shareable_by(people["eddie"])) == []
    assert list(Team.objects.for_member(people["eddie"])) == [design]
