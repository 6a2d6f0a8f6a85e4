"""Team memberships from the provider's teams claim, through real sign-ins: teams made and
managed, roles set and changed at each sign-in (audited), removal when the claim drops a
managed team, a last owner kept with an audited warning, manual teams left alone."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from studio.moderation.models import AuditEntry
from studio.teams import claims
from studio.teams.models import Membership, Team
from tests.oidc_provider import sign_in

pytestmark = pytest.mark.django_db


def _groups(provider, login, groups, **extra):
    accounts = json.loads(provider.accounts_file.read_text())
    accounts.setdefault(login, {"preferred_username": login, "email": f"{login}@example.com"})
    accounts[login]["groups"] = groups
    accounts[login].update(extra)
    provider.set_accounts(accounts)


def _roles(username):
    user = get_user_model().objects.get(username=username)
    return dict(Membership.objects.filter(user=user).values_list("team__slug", "role"))


def _sign_in_again(client, login):
    client.logout()
    assert sign_in(client, login).status_code == 302


def test_the_claim_makes_managed_teams_and_sets_roles(client, sso):
    _groups(sso, "alice", ["design:owner", "video", "ops:editor"])
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "owner", "video": "viewer", "ops": "editor"}
    assert set(Team.objects.filter(managed_by_claims=True).values_list("slug", flat=True)) == {
        "design",
        "video",
        "ops",
    }
    page = client.get("/teams/design/members/").content.decode()
    assert "follows Acme SSO" in page


def test_role_changes_and_removals_follow_the_next_sign_in_and_are_audited(client, sso):
    _groups(sso, "bob", ["design:owner"])
    _sign_in_again(client, "bob")
    _groups(sso, "alice", ["design:editor", "video:editor"])
    _sign_in_again(client, "alice")
    _groups(sso, "alice", ["design:viewer"])
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "viewer"}
    changed = AuditEntry.objects.get(action="team.role_changed")
    assert changed.before == {"role": "editor"} and changed.after == {"role": "viewer"}
    assert changed.subject.username == "alice" and changed.actor is None
    removed = AuditEntry.objects.get(action="team.member_removed")
    assert removed.target == "team video" and removed.subject.username == "alice"


def test_a_manual_change_is_overwritten_at_the_next_sign_in(client, sso, owner):
    _groups(sso, "alice", ["design:viewer"])
    _sign_in_again(client, "alice")
    team = Team.objects.get(slug="design")
    Membership.objects.create(team=team, user=owner, role="owner")
    client.force_login(owner)
    client.post("/teams/design/members/alice/", {"role": "editor"})
    assert _roles("alice") == {"design": "editor"}
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "viewer"}


def test_the_last_owner_stays_until_another_is_set(client, sso):
    _groups(sso, "alice", ["design:owner"])
    _sign_in_again(client, "alice")
    _groups(sso, "alice", ["design:editor"])
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "owner"}
    _groups(sso, "alice", [])
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "owner"}
    warnings = AuditEntry.objects.filter(action="team.claims_kept_last_owner")
    assert warnings.count() == 2
    _groups(sso, "bob", ["design:owner"])
    _sign_in_again(client, "bob")
    _sign_in_again(client, "alice")  # still nothing claimed: now she leaves
    assert _roles("alice") == {} and _roles("bob") == {"design": "owner"}


def test_teams_the_claim_never_named_are_left_alone(client, sso, owner):
    team = Team.objects.create(name="Manual", slug="manual")
    Membership.objects.create(team=team, user=owner, role="owner")
    _groups(sso, "alice", ["design"])
    _sign_in_again(client, "alice")
    alice = get_user_model().objects.get(username="alice")
    Membership.objects.create(team=team, user=alice, role="editor")  # an invitation, say
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "viewer", "manual": "editor"}
    assert not Team.objects.get(slug="manual").managed_by_claims


def test_a_sign_in_without_the_claim_changes_nothing(client, sso):
    _groups(sso, "alice", ["design:editor"])
    _sign_in_again(client, "alice")
    accounts = json.loads(sso.accounts_file.read_text())
    del accounts["alice"]["groups"]
    sso.set_accounts(accounts)
    _sign_in_again(client, "alice")
    assert _roles("alice") == {"design": "editor"}


def test_claim_values_are_parsed_strictly():
    assert claims.parse(["a", "b:editor", "B:OWNER", "b:viewer", "bad slug", "c:admin", ""]) == {
        "a": "viewer",
        "b": "owner",
    }
    assert claims.parse("x:editor, y") == {"x": "editor", "y": "viewer"}
    assert claims.parse(None) == {}
