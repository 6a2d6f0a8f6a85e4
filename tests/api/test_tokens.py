"""Personal access tokens: shape, storage, the page, the command, the admin, the audit log."""

from __future__ import annotations

import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from studio.accounts import tokens as token_text
from studio.accounts.models import ApiToken
from studio.api import tokens
from studio.moderation.models import AuditEntry
from studio.teams.models import Membership

pytestmark = pytest.mark.django_db


def test_token_is_recognisable_and_stored_only_as_a_hash(owner):
    row, text = tokens.create(user=owner, name="ci", expires_days=90)
    assert text.startswith("studio_pat_") and len(text) == token_text.TOKEN_LEN
    assert token_text.well_formed(text)
    stored = ApiToken.objects.values().get(pk=row.pk)
    assert text not in str(stored)
    assert stored["digest"] == token_text.digest_of(text)
    assert token_text.find(text) == row
    assert row.expires_at - timezone.now() > timedelta(days=89)


def test_a_mistyped_token_fails_its_checksum_without_a_query(owner, django_assert_num_queries):
    _, text = tokens.create(user=owner, name="ci", expires_days=90)
    wrong = text[:-7] + ("A" if text[-7] != "A" else "B") + text[-6:]
    with django_assert_num_queries(0):
        assert token_text.find(wrong) is None
        assert token_text.find("studio_pat_short") is None


def test_a_token_with_a_valid_checksum_but_the_wrong_secret_is_refused(owner):
    row, text = tokens.create(user=owner, name="ci", expires_days=90)
    body = text[len("studio_pat_") : -6]
    forged_body = body[:8] + "x" * 32
    forged = "studio_pat_" + forged_body + token_text._checksum(forged_body)
    assert token_text.well_formed(forged)
    assert token_text.find(forged) is None


def test_revoked_and_expired_tokens_no_longer_authenticate(owner):
    row, text = tokens.create(user=owner, name="ci", expires_days=90)
    never, never_text = tokens.create(user=owner, name="forever", expires_days=None)
    assert never.expires_at is None and token_text.find(never_text) == never
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_text.find(text) is None
    assert tokens.revoke(token=never) is True
    assert tokens.revoke(token=never) is False
    assert token_text.find(never_text) is None


def test_names_are_unique_among_live_tokens(owner):
    row, _ = tokens.create(user=owner, name="ci", expires_days=90)
    with pytest.raises(tokens.TokenRefused, match="already have a token named"):
        tokens.create(user=owner, name="ci", expires_days=90)
    tokens.revoke(token=row)
    tokens.create(user=owner, name="ci", expires_days=90)


def test_a_team_token_needs_an_editor_and_the_list_marks_a_lapsed_one(owner, member, team):
    Membership.objects.filter(user=member).update(role=Membership.Role.VIEWER)
    with pytest.raises(tokens.TokenRefused, match="editor or owner"):
        tokens.create(user=member, name="t", team=team, expires_days=90)
    Membership.objects.filter(user=member).update(role=Membership.Role.EDITOR)
    row, _ = tokens.create(user=member, name="t", team=team, expires_days=90)
    assert not tokens.team_lapsed(row)
    Membership.objects.filter(user=member).update(role=Membership.Role.VIEWER)
    assert tokens.team_lapsed(row)
    assert [item.team_lapsed for item in tokens.listed(member)] == [True]


def test_creation_and_revocation_are_audited(owner):
    row, text = tokens.create(user=owner, name="ci", expires_days=90, actor=owner)
    tokens.revoke(token=row, actor=owner)
    entries = list(AuditEntry.objects.order_by("at", "id").values_list("action", "subject"))
    assert entries == [("token.create", owner.pk), ("token.revoke", owner.pk)]
    assert not AuditEntry.objects.filter(target__contains=text).exists()


def test_the_page_shows_a_new_token_once(owner_client, owner):
    response = owner_client.post("/settings/tokens/", {"name": "laptop", "expires": "90"})
    assert response.status_code == 201
    text = response.context["new_token"]
    assert text in response.content.decode()
    listing = owner_client.get("/settings/tokens/")
    page = listing.content.decode()
    assert 'data-token="laptop"' in page and text not in page
    assert listing["Cache-Control"].startswith("max-age=0")


def test_the_page_refuses_a_team_the_person_cannot_share_with(owner_client, owner, outsider):
    from studio.teams.models import Team

    other = Team.objects.create(name="Other", slug="other")
    response = owner_client.post(
        "/settings/tokens/", {"name": "x", "team": other.slug, "expires": "90"}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page_and_not_someone_elses(owner_client, owner, outsider):
    mine, _ = tokens.create(user=owner, name="mine", expires_days=90)
    theirs, _ = tokens.create(user=outsider, name="theirs", expires_days=90)
    assert owner_client.post(f"/settings/tokens/{theirs.pk}/revoke/").status_code == 404
    assert owner_client.post(f"/settings/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_revoked and not theirs.is_revoked


def test_the_command_creates_lists_and_revokes(owner, team):
    out = StringIO()
    call_command("token", "create", "owner", "--name", "ci", "--team", "design", stdout=out)
    text = out.getvalue().strip().splitlines()[-1]
    assert token_text.find(text).team == team
    out = StringIO()
    call_command("token", "list", "owner", stdout=out)
    assert "ci" in out.getvalue() and "design" in out.getvalue() and text not in out.getvalue()
    call_command("token", "revoke", "owner", "--name", "ci", stdout=StringIO())
    assert token_text.find(text) is None
    with pytest.raises(CommandError, match="no live token"):
        call_command("token", "revoke", "owner", "--name", "ci")
    out = StringIO()
    call_command("token", "create", "owner", "--name", "x", "--expires-days", "0", stdout=out)
    assert token_text.find(out.getvalue().strip().splitlines()[-1]).expires_at is None


def test_staff_revoke_anyones_token_in_the_admin(client, owner, django_user_model):
    staff = django_user_model.objects.create_superuser("boss", password="pw-boss-123")
    client.force_login(staff)
    row, text = tokens.create(user=owner, name="ci", expires_days=90)
    page = client.get("/admin/accounts/apitoken/").content.decode()
    assert "ci" in page and text not in page
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}
    )
    assert response.status_code == 302
    assert token_text.find(text) is None
    assert AuditEntry.objects.filter(action="token.revoke", actor=staff).exists()


def _failure():
    try:
        raise ValueError("a failure while answering")
    except ValueError:
        return sys.exc_info()


def test_a_token_is_hidden_in_error_reports(rf, owner):
    from django.views.debug import ExceptionReporter

    _, text = tokens.create(user=owner, name="ci", expires_days=90)
    request = rf.post("/api/v1/generations", HTTP_AUTHORIZATION=f"Bearer {text}")
    reporter = ExceptionReporter(request, *_failure())
    assert text not in reporter.get_traceback_text()
    assert text not in reporter.get_traceback_html()
