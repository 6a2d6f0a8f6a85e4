"""The review workflow in the admin: who sees the queue, what an item shows, decisions
(one and in bulk), automatic suspension, appeals."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.accounts.models import upstream_user_id_for
from studio.generations.models import Generation
from studio.moderation import review, suspension
from studio.moderation.models import AuditEntry, Review
from studio.teams.models import Membership, Team

from .helpers import make_reviewer, moderated

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/moderatedfailure/"


@pytest.fixture
def reviewer_client(client, db):
    client.reviewer = make_reviewer()
    client.force_login(client.reviewer)
    return client


def listed(client, query: str = "") -> list[int]:
    response = client.get(QUEUE + query)
    assert response.status_code == 200
    return [gen.pk for gen in response.context["cl"].result_list]


def test_only_staff_holding_the_permission_see_the_queue(client, owner, task_queue):
    gen = moderated(owner, "private")
    staff = get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_generation"),
        Permission.objects.get(codename="view_moderatedfailure"),
    )
    client.force_login(staff)
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}{gen.pk}/change/").status_code == 403
    ref = gen.inputs.get()
    assert client.get(f"/generations/{gen.pk}/inputs/{ref.pk}/").status_code == 404
    assert "moderatedfailure" not in client.get("/admin/").content.decode()


def test_a_reviewer_sees_the_queue_and_the_items_inputs(reviewer_client, owner, task_queue):
    gen = moderated(owner, "look at me")
    assert listed(reviewer_client) == [gen.pk]
    ref = gen.inputs.get()
    assert reviewer_client.get(f"/generations/{gen.pk}/inputs/{ref.pk}/").status_code == 200
    assert reviewer_client.get(f"/generations/{gen.pk}/").status_code == 200


def test_an_item_shows_what_a_reviewer_needs(reviewer_client, owner, team, task_queue):
    gen = moderated(owner, "judge this prompt", reason="policy 4.2", upstream_id="up-77")
    Generation.objects.filter(pk=gen.pk).update(team=team)
    older = moderated(owner, "an earlier one")
    page = reviewer_client.get(f"{QUEUE}{gen.pk}/change/").content.decode()
    ref = gen.inputs.get()
    for expected in [
        "judge this prompt",
        "policy 4.2",
        "up-77",
        "owner",
        upstream_user_id_for(owner),
        "Design",  # the team it was shared with
        f"/generations/{gen.pk}/inputs/{ref.pk}/",  # the reference thumbnail
        f"{QUEUE}{older.pk}/change/",  # their other moderated failures
        f'href="/generations/{gen.pk}/"',  # the generation's detail page
    ]:
        assert expected in page, expected


def test_filters_and_search(reviewer_client, owner, outsider, team, task_queue):
    a = moderated(owner, "a red cat")
    b = moderated(outsider, "a blue dog")
    Generation.objects.filter(pk=a.pk).update(team=team, model="uni-1-max")
    review.decide(generation=b, decision="confirmed", note="", reviewer=reviewer_client.reviewer)
    assert listed(reviewer_client, "?review=todo") == [a.pk]
    assert listed(reviewer_client, "?review=done") == [b.pk]
    assert listed(reviewer_client, "?decision=confirmed") == [b.pk]
    assert listed(reviewer_client, "?decision=false_positive") == []
    assert listed(reviewer_client, "?model=uni-1-max") == [a.pk]
    assert listed(reviewer_client, f"?team__id__exact={team.pk}") == [a.pk]
    assert listed(reviewer_client, "?q=blue") == [b.pk]
    assert listed(reviewer_client, "?q=outsider") == [b.pk]
    Generation.objects.filter(pk=b.pk).update(created_at=a.created_at - timedelta(days=3))
    day = quote(a.created_at.strftime("%Y-%m-%d 00:00:00+00:00"))
    assert listed(reviewer_client, f"?created_at__gte={day}") == [a.pk]


def test_a_decision_from_the_item_records_who_when_and_the_note(reviewer_client, owner, task_queue):
    gen = moderated(owner, "decide me")
    data = {
        "moderation_review-TOTAL_FORMS": "1",
        "moderation_review-INITIAL_FORMS": "0",
        "moderation_review-MIN_NUM_FORMS": "0",
        "moderation_review-MAX_NUM_FORMS": "1",
        "moderation_review-0-decision": "confirmed",
        "moderation_review-0-notes": "clearly against policy",
        "moderation_review-0-generation": str(gen.pk),
    }
    response = reviewer_client.post(f"{QUEUE}{gen.pk}/change/", data)
    assert response.status_code == 302
    row = Review.objects.get(generation=gen)
    assert row.decision == "confirmed" and row.notes == "clearly against policy"
    assert row.reviewed_by == reviewer_client.reviewer and row.reviewed_at
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.actor, entry.subject) == (
        "review.decide",
        reviewer_client.reviewer,
        owner,
    )
    assert entry.before is None
    assert entry.after == {"decision": "confirmed", "notes": "clearly against policy"}


def test_bulk_decisions_with_a_note_write_one_audit_row_each(reviewer_client, owner, task_queue):
    gens = [moderated(owner, f"bulk {i}") for i in range(3)]
    response = reviewer_client.post(
        QUEUE,
        {
            "action": "mark_false_positive",
            "_selected_action": [g.pk for g in gens],
            "note": "the provider was too strict",
        },
    )
    assert response.status_code == 302
    rows = Review.objects.filter(generation__in=gens)
    assert rows.count() == 3
    assert {(r.decision, r.notes, r.reviewed_by_id) for r in rows} == {
        ("false_positive", "the provider was too strict", reviewer_client.reviewer.pk)
    }
    assert AuditEntry.objects.filter(action="review.decide").count() == 3


def test_the_queue_query_count_does_not_grow_with_its_length(
    reviewer_client, owner, outsider, team, task_queue
):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert reviewer_client.get(QUEUE).status_code == 200
        return len(ctx.captured_queries)

    moderated(owner, "one")
    few = count()
    for i in range(6):
        gen = moderated(outsider if i % 2 else owner, f"more {i}")
        Generation.objects.filter(pk=gen.pk).update(team=team)
        review.decide(generation=gen, decision="confirmed", note="", reviewer=None)
    from studio.moderation import appeals

    appeals.appeal(generation=Generation.objects.get(prompt="one"), note="please")
    assert count() == few


def test_suspend_the_author_from_the_review_item(reviewer_client, owner, task_queue):
    gen = moderated(owner, "bad")
    data = {
        "moderation_review-TOTAL_FORMS": "1",
        "moderation_review-INITIAL_FORMS": "0",
        "moderation_review-MIN_NUM_FORMS": "0",
        "moderation_review-MAX_NUM_FORMS": "1",
        "suspend_author": "on",
        "suspension_reason": "sexual content, twice",
    }
    answer = reviewer_client.post(f"{QUEUE}{gen.pk}/change/", data, follow=True)
    assert answer.redirect_chain and answer.redirect_chain[0][1] == 302
    # The admin capitalises a message's first letter: the username is written as it is.
    assert "Suspended owner." in answer.content.decode()
    current = suspension.active_suspension(owner)
    assert current.reason == "sexual content, twice"
    assert current.suspended_by == reviewer_client.reviewer
    assert AuditEntry.objects.get().action == "suspension.suspend"
    page = reviewer_client.get(f"{QUEUE}{gen.pk}/change/").content.decode()
    assert "sexual content, twice" in page


@pytest.mark.parametrize("confirmed", [2, 3])
def test_automatic_suspension_at_exactly_n(settings, owner, task_queue, confirmed):
    settings.STUDIO_AUTO_SUSPEND_AFTER = 3
    for i in range(confirmed):
        gen = moderated(owner, f"violation {i}")
        review.decide(generation=gen, decision="confirmed", note="", reviewer=None)
    current = suspension.active_suspension(owner)
    if confirmed < 3:
        assert current is None
    else:
        assert current is not None and "3 confirmed" in current.reason
        assert AuditEntry.objects.filter(action="suspension.auto").count() == 1


def test_automatic_suspension_is_off_by_default_and_counts_30_days(settings, owner, task_queue):
    from datetime import timedelta

    from django.utils import timezone

    assert settings.STUDIO_AUTO_SUSPEND_AFTER == 0
    for i in range(5):
        gen = moderated(owner, f"v {i}")
        review.decide(generation=gen, decision="confirmed", note="", reviewer=None)
    assert suspension.active_suspension(owner) is None
    settings.STUDIO_AUTO_SUSPEND_AFTER = 2
    Generation.objects.filter(user=owner).update(created_at=timezone.now() - timedelta(days=31))
    gen = moderated(owner, "recent")
    review.decide(generation=gen, decision="confirmed", note="", reviewer=None)
    assert suspension.active_suspension(owner) is None  # 1 in the window, 5 before it
    gen = moderated(owner, "recent 2")
    review.decide(generation=gen, decision="false_positive", note="", reviewer=None)
    assert suspension.active_suspension(owner) is None


def test_the_teams_are_listed_in_the_team_filter(reviewer_client, owner, team, task_queue):
    gen = moderated(owner, "shared")
    Generation.objects.filter(pk=gen.pk).update(team=team)
    Team.objects.create(name="Unrelated", slug="unrelated")
    assert Membership.objects.filter(team=team).exists()
    page = reviewer_client.get(QUEUE).content.decode()
    assert "Design" in page and "Unrelated" not in page


def test_the_reviewers_group_comes_back_after_a_flush(db):
    from django.contrib.auth.models import Group

    from studio.moderation.groups import ensure_reviewers_group

    Group.objects.filter(name="Reviewers").delete()
    ensure_reviewers_group()
    perms = set(Group.objects.get(name="Reviewers").permissions.values_list("codename", flat=True))
    assert perms == {"review_moderatedfailure", "view_moderatedfailure", "view_auditentry"}


@pytest.mark.parametrize("reason", ["example", "example.", "example. ", "example!"])
def test_the_suspension_notice_ends_the_reason_with_one_full_stop(owner, reason):
    current = suspension.suspend(user=owner, by=None, reason=reason)
    message = suspension.message_for(current)
    assert message.startswith("Your account is suspended: example. You can still")
    assert ".." not in message and "!." not in message


def test_the_moderated_30_days_column_counts_each_author_s_recent_moderated_failures(
    reviewer_client, owner, outsider, task_queue
):
    from django.utils import timezone

    from tests.generations.helpers import make_generation

    mine = [moderated(owner, f"recent {i}") for i in range(2)]
    old = moderated(owner, "long ago")
    Generation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    for i in range(3):  # other work of the author's counts for nothing
        make_generation(owner, prompt=f"fine {i}")
    theirs = moderated(outsider, "theirs")
    with CaptureQueriesContext(connection) as ctx:
        rows = {
            g.pk: g.user_moderated for g in reviewer_client.get(QUEUE).context["cl"].result_list
        }
    assert rows == {mine[0].pk: 2, mine[1].pk: 2, old.pk: 2, theirs.pk: 1}
    # Counted per row shown, never by grouping the queue joined with whole histories.
    assert not any(
        "GROUP BY" in q["sql"].split("ORDER BY")[0] and "COUNT(DISTINCT" in q["sql"]
        for q in ctx.captured_queries
    )
