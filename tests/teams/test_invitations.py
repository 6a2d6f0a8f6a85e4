"""Invitation links: owners make them (a role, single-use or N uses, 7 days by default),
list and revoke them on the members page; a signed-in person who opens one joins; expired,
used-up and revoked links are refused with a clear page; every step is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.moderation.models import AuditEntry
from studio.teams.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def _user(name):
    return get_user_model().objects.create_user(name, password=f"pw-{name}-123")


def _make(client, owner, **data):
    client.force_login(owner)
    response = client.post("/teams/design/invites/", {"role": "editor", **data})
    assert response.status_code == 302, response.content
    return Invitation.objects.latest("created_at")


def _join(client, user, invitation):
    client.force_login(user)
    return client.post(f"/invite/{invitation.token}/")


def test_an_owner_makes_a_single_use_link_that_expires_in_seven_days(client, owner, team):
    before = timezone.now()
    invitation = _make(client, owner)
    assert invitation.role == "editor" and invitation.max_uses == 1
    expected = before + timedelta(days=7)
    assert abs((invitation.expires_at - expected).total_seconds()) < 60
    page = client.get("/teams/design/members/").content.decode()
    assert f'data-invitation="{invitation.pk}"' in page
    assert f"http://testserver/invite/{invitation.token}/" in page
    assert AuditEntry.objects.filter(action="team.invitation_created").count() == 1


def test_opening_the_link_signed_in_asks_then_joins_with_its_role(client, owner, team):
    invitation = _make(client, owner)
    dana = _user("dana")
    client.force_login(dana)
    page = client.get(f"/invite/{invitation.token}/")
    assert page.status_code == 200 and b"Join Design" in page.content
    assert Membership.objects.role_of(dana, team) is None  # a GET changes nothing
    response = client.post(f"/invite/{invitation.token}/")
    assert response.status_code == 302 and response["Location"] == "/teams/design/"
    assert Membership.objects.role_of(dana, team) == "editor"
    accepted = AuditEntry.objects.get(action="team.invitation_accepted")
    assert accepted.actor == dana and accepted.subject == dana
    assert AuditEntry.objects.filter(action="team.member_added", subject=dana).exists()


def test_a_single_use_link_is_refused_to_the_second_person(client, owner, team):
    invitation = _make(client, owner)
    assert _join(client, _user("dana"), invitation).status_code == 302
    erin = _user("erin")
    refused = _join(client, erin, invitation)
    assert refused.status_code == 410 and b"already been used" in refused.content
    assert Membership.objects.role_of(erin, team) is None
    # The link no longer shows on the members page.
    client.force_login(owner)
    assert invitation.token not in client.get("/teams/design/members/").content.decode()


def test_a_link_for_three_people_admits_three(client, owner, team):
    invitation = _make(client, owner, uses="3", role="viewer")
    people = [_user(n) for n in ("dana", "erin", "fay", "gus")]
    for person in people[:3]:
        assert _join(client, person, invitation).status_code == 302
        assert Membership.objects.role_of(person, team) == "viewer"
    assert _join(client, people[3], invitation).status_code == 410
    invitation.refresh_from_db()
    assert invitation.uses == 3


def test_a_member_who_opens_it_again_uses_nothing_up(client, owner, member, team):
    invitation = _make(client, owner, uses="2")
    response = _join(client, member, invitation)
    assert response.status_code == 302
    assert Membership.objects.role_of(member, team) == "editor"
    invitation.refresh_from_db()
    assert invitation.uses == 0


def test_an_expired_link_is_refused(client, owner, team):
    invitation = _make(client, owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    dana = _user("dana")
    client.force_login(dana)
    page = client.get(f"/invite/{invitation.token}/")
    assert page.status_code == 410 and b"expired" in page.content
    assert _join(client, dana, invitation).status_code == 410
    assert Membership.objects.role_of(dana, team) is None


def test_a_revoked_link_is_refused_and_the_revocation_audited(client, owner, team):
    invitation = _make(client, owner)
    response = client.post(f"/teams/design/invites/{invitation.pk}/revoke/")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="team.invitation_revoked", actor=owner).exists()
    dana = _user("dana")
    refused = _join(client, dana, invitation)
    assert refused.status_code == 410 and b"revoked" in refused.content
    assert Membership.objects.role_of(dana, team) is None


def test_an_unknown_link_is_a_clear_404(client, owner):
    client.force_login(owner)
    page = client.get("/invite/not-a-token/")
    assert page.status_code == 404 and b"not valid" in page.content


def test_only_owners_make_or_revoke_links(client, owner, member, outsider, team):
    invitation = _make(client, owner)
    client.force_login(member)
    assert client.post("/teams/design/invites/", {"role": "owner"}).status_code == 403
    assert client.post(f"/teams/design/invites/{invitation.pk}/revoke/").status_code == 403
    assert b"Make an invitation link" not in client.get("/teams/design/members/").content
    client.force_login(outsider)
    assert client.post("/teams/design/invites/", {"role": "viewer"}).status_code == 404
    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().revoked_at is None


def test_bad_numbers_and_roles_are_refused_with_a_message(client, owner, team):
    client.force_login(owner)
    for data in (
        {"role": "admin"},
        {"role": "viewer", "uses": "0"},
        {"role": "viewer", "uses": "x"},
        {"role": "viewer", "days": "400"},
    ):
        response = client.post("/teams/design/invites/", data, follow=True)
        assert response.status_code == 200
        assert b'class="message error"' in response.content, data
    assert Invitation.objects.count() == 0


def test_someone_signed_out_is_asked_to_sign_in_and_comes_back(client, owner, team, settings):
    invitation = _make(client, owner)
    client.logout()
    settings.STUDIO_SIGNUP = False
    page = client.get(f"/invite/{invitation.token}/").content.decode()
    assert f"/accounts/login/?next=/invite/{invitation.token}/" in page
    assert "Create an account" not in page
    settings.STUDIO_SIGNUP = True
    page = client.get(f"/invite/{invitation.token}/").content.decode()
    assert f"/accounts/signup/?next=/invite/{invitation.token}/" in page
    # A post without a session joins nobody.
    response = client.post(f"/invite/{invitation.token}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Membership.objects.filter(team=team).count() == 2
