"""The team pages: my teams (list, create, default team), the members page (list, add,
change role, remove, leave) with its clear errors, rename and delete, the top bar."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from studio.generations.models import Generation
from studio.moderation.models import AuditEntry
from studio.teams.models import Membership, Team
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return get_user_model().objects.create_user("carol", password="pw-carol-123")


def _role(team, user):
    return Membership.objects.role_of(user, team)


def test_the_teams_page_lists_my_teams_with_my_role_and_item_counts(
    client, owner, member, team, task_queue
):
    Team.objects.create(name="Elsewhere", slug="elsewhere")
    gen = make_generation(member)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    page = client.get("/teams/").content.decode()
    assert 'data-team="design"' in page and "elsewhere" not in page
    assert 'data-role="editor"' in page and 'data-item-count="1"' in page


def test_any_signed_in_user_creates_a_team_and_owns_it(client, carol):
    client.force_login(carol)
    response = client.post("/teams/", {"name": "Night Shift"})
    assert response.status_code == 302 and response["Location"] == "/teams/night-shift/members/"
    assert _role(Team.objects.get(slug="night-shift"), carol) == "owner"
    again = client.post("/teams/", {"name": "night shift"})
    assert again.status_code == 400 and "already exists" in again.content.decode()
    assert client.post("/teams/", {"name": "!!"}).status_code == 400
    assert Team.objects.count() == 1


def test_everyone_in_the_team_sees_the_members_only_owners_manage(client, owner, member, team):
    client.force_login(member)
    page = client.get("/teams/design/members/").content.decode()
    assert 'data-member="owner" data-role="owner"' in page
    assert 'data-member="member" data-role="editor"' in page
    assert "Add a member" not in page
    client.force_login(owner)
    assert "Add a member" in client.get("/teams/design/members/").content.decode()


def test_an_owner_adds_changes_and_removes_members(client, owner, member, team, carol):
    client.force_login(owner)
    response = client.post("/teams/design/members/", {"username": "carol", "role": "viewer"})
    assert response.status_code == 302 and _role(team, carol) == "viewer"
    client.post("/teams/design/members/carol/", {"role": "editor"})
    assert _role(team, carol) == "editor"
    client.post("/teams/design/members/carol/remove/")
    assert _role(team, carol) is None


@pytest.mark.parametrize(
    "data,message",
    [
        ({"username": "nobody", "role": "viewer"}, "No user named &#x27;nobody&#x27;"),
        ({"username": "member", "role": "viewer"}, "member is already a member of Design"),
        ({"username": "carol", "role": "admin"}, "&#x27;admin&#x27; is not a role"),
    ],
)
def test_adding_explains_what_is_wrong(client, owner, member, team, carol, data, message):
    client.force_login(owner)
    response = client.post("/teams/design/members/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert team.memberships.count() == 2


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, owner, member, team):
    client.force_login(owner)
    for url, data in [
        ("/teams/design/members/owner/", {"role": "editor"}),
        ("/teams/design/members/owner/remove/", {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400
        assert "owner is the last owner of Design" in response.content.decode()
    assert _role(team, owner) == "owner"
    # With a second owner, the first may step down.
    client.post("/teams/design/members/member/", {"role": "owner"})
    client.post("/teams/design/members/owner/", {"role": "viewer"})
    assert (_role(team, owner), _role(team, member)) == ("viewer", "owner")


def test_a_member_leaves_and_what_they_shared_stays_shared(client, member, team, task_queue):
    gen = make_generation(member)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    response = client.post("/teams/design/members/member/remove/")
    assert response["Location"] == "/teams/"
    assert _role(team, member) is None
    assert Generation.objects.get(pk=gen.pk).team == team
    # They may still take their own work out of the team.
    client.post(f"/generations/{gen.pk}/share/", {"team": ""})
    assert Generation.objects.get(pk=gen.pk).team is None


def test_an_owner_renames_and_deletes_a_team_without_deleting_its_images(
    client, owner, member, team, task_queue
):
    gen = make_generation(member)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(owner)
    client.post("/teams/design/rename/", {"name": "Design Studio"})
    assert Team.objects.get(pk=team.pk).name == "Design Studio"
    client.post("/teams/design/delete/")
    assert not Team.objects.exists()
    assert Generation.objects.get(pk=gen.pk).team is None


def test_removal_takes_effect_on_the_next_request(client, owner, member, team):
    client.force_login(member)
    assert client.get("/teams/design/").status_code == 200
    Membership.objects.filter(user=member).delete()
    assert client.get("/teams/design/").status_code == 404
    assert client.get("/teams/design/members/").status_code == 404
    # The open page's htmx requests (the slow check, filters, load more) are sent away.
    for url in ["/teams/design/?shared_after=2026-01-01T00:00:00%2B00:00", "/teams/design/?q=x"]:
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert (response.status_code, response["HX-Redirect"]) == (200, "/teams/")


def test_a_default_team_is_preselected_in_the_form(client, member, team):
    client.force_login(member)
    assert '<option value="design" selected>' not in client.get("/").content.decode()
    client.post("/teams/", {"default": "design"})
    assert Membership.objects.get(user=member).is_default
    assert '<option value="design" selected>' in client.get("/").content.decode()
    client.post("/teams/", {"default": ""})
    assert '<option value="design" selected>' not in client.get("/").content.decode()


def test_a_viewer_cannot_choose_a_team_to_share_with_by_default(client, member, team):
    Membership.objects.filter(user=member).update(role="viewer")
    client.force_login(member)
    client.post("/teams/", {"default": "design"})
    assert not Membership.objects.get(user=member).is_default


def test_the_top_bar_has_the_team_switcher_and_the_password_page(client, member, team):
    client.force_login(member)
    page = client.get("/").content.decode()
    assert 'id="team-switcher"' in page
    assert 'href="/teams/design/"' in page and 'href="/teams/"' in page
    assert 'href="/accounts/password_change/"' in page
    form = client.get("/accounts/password_change/")
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "pw-member-123",
            "new_password1": "a-new-long-pass-42",
            "new_password2": "a-new-long-pass-42",
        },
    )
    assert response["Location"] == "/accounts/password_change/done/"
    member.refresh_from_db()
    assert member.check_password("a-new-long-pass-42")


def test_the_admin_lists_teams_with_their_members_inline(admin_client, owner, member, team):
    page = admin_client.get(f"/admin/teams/team/{team.pk}/change/").content.decode()
    assert "memberships-TOTAL_FORMS" in page and 'value="owner"' in page
    assert "Design" in admin_client.get("/admin/teams/team/").content.decode()


def test_role_changes_are_audited(client, owner, member, team, carol):
    client.force_login(owner)
    client.post("/teams/design/members/", {"username": "carol", "role": "viewer"})
    client.post("/teams/design/members/carol/", {"role": "editor"})
    client.post("/teams/design/members/carol/remove/")
    rows = AuditEntry.objects.filter(target="team design").order_by("pk")
    assert [(r.action, r.actor, r.subject, r.before, r.after) for r in rows] == [
        ("team.member_added", owner, carol, None, {"role": "viewer"}),
        ("team.role_changed", owner, carol, {"role": "viewer"}, {"role": "editor"}),
        ("team.member_removed", owner, carol, {"role": "editor"}, None),
    ]
