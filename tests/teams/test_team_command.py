"""`manage.py team`: create a team (with an owner), add a member, change a member's role,
remove a member; never leave a team that has owners without one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from studio.teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def team(*args: str, capsys) -> str:
    call_command("team", *args)
    return capsys.readouterr().out


def test_create_makes_a_team_with_a_slug_once(capsys):
    assert team("create", "Design Crew", capsys=capsys) == (
        "Created Design Crew (/teams/design-crew/)\n"
    )
    assert team("create", "Design Crew", capsys=capsys) == (
        "Team already exists: Design Crew (/teams/design-crew/)\n"
    )
    assert list(Team.objects.values_list("name", "slug")) == [("Design Crew", "design-crew")]


def test_create_refuses_a_name_without_letters_or_digits():
    with pytest.raises(CommandError, match="at least one letter or digit"):
        call_command("team", "create", "!!!")
    assert not Team.objects.exists()


def test_add_makes_an_editor_by_default_and_changes_the_role_later(capsys):
    ann = get_user_model().objects.create_user("ann")
    design = Team.objects.create(name="Design", slug="design")
    assert team("add", "Design", "ann", capsys=capsys) == "ann is editor of Design\n"
    assert team("add", "Design", "ann", "--role", "viewer", capsys=capsys) == (
        "ann is viewer of Design\n"
    )
    assert team("add", "Design", "ann", "--role", "owner", capsys=capsys) == (
        "ann is owner of Design\n"
    )
    # Changing the role keeps one membership.
    assert list(Membership.objects.values_list("team", "user", "role")) == [
        (design.pk, ann.pk, "owner")
    ]


def test_add_names_what_is_missing():
    get_user_model().objects.create_user("ann")
    with pytest.raises(CommandError, match="No team named 'Nope'; create it first."):
        call_command("team", "add", "Nope", "ann")
    Team.objects.create(name="Design", slug="design")
    with pytest.raises(CommandError, match="No user named 'bob'"):
        call_command("team", "add", "Design", "bob")
    assert not Membership.objects.exists()


def test_add_refuses_an_unknown_role():
    Team.objects.create(name="Design", slug="design")
    get_user_model().objects.create_user("ann")
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        call_command("team", "add", "Design", "ann", "--role", "admin")


def test_create_with_an_owner_makes_them_its_owner(capsys):
    ann = get_user_model().objects.create_user("ann")
    assert team("create", "Design", "--owner", "ann", capsys=capsys) == (
        "Created Design (/teams/design/)\n"
    )
    assert Membership.objects.get(user=ann).role == "owner"
    with pytest.raises(CommandError, match="No user named 'bob'"):
        call_command("team", "create", "Other", "--owner", "bob")


def test_remove_takes_a_member_out(capsys):
    ann, bob = (get_user_model().objects.create_user(n) for n in ("ann", "bob"))
    design = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=design, user=ann, role="owner")
    Membership.objects.create(team=design, user=bob, role="viewer")
    assert team("remove", "Design", "bob", capsys=capsys) == "Removed bob from Design\n"
    assert list(Membership.objects.values_list("user__username", flat=True)) == ["ann"]
    with pytest.raises(CommandError, match="bob is not a member of Design"):
        call_command("team", "remove", "Design", "bob")


def test_the_last_owner_stays_and_the_command_exits_1():
    ann = get_user_model().objects.create_user("ann")
    design = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=design, user=ann, role="owner")
    for args in [("remove", "Design", "ann"), ("add", "Design", "ann", "--role", "editor")]:
        # run_from_argv turns a CommandError into its message on stderr and this exit code.
        with pytest.raises(CommandError, match="ann is the last owner of Design") as refused:
            call_command("team", *args)
        assert refused.value.returncode == 1
    assert Membership.objects.get(user=ann).role == "owner"
