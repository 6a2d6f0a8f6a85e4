"""The audit log: one row per call, read-only in the admin."""

import pytest

from studio.moderation import audit
from studio.moderation.models import AuditEntry

pytestmark = pytest.mark.django_db

LOG = "/admin/moderation/auditentry/"


def test_record_writes_exactly_one_row_with_who_what_and_values(owner, outsider):
    entry = audit.record(
        actor=owner,
        action="budget.change",
        subject=outsider,
        target=outsider,
        before={"monthly": None},
        after={"monthly": "5.00"},
    )
    assert AuditEntry.objects.count() == 1
    entry.refresh_from_db()
    assert (entry.actor, entry.subject, entry.action) == (owner, outsider, "budget.change")
    assert entry.before == {"monthly": None} and entry.after == {"monthly": "5.00"}
    assert "outsider" in entry.target and entry.at is not None


def test_the_system_may_act_without_an_actor(owner):
    from django.contrib.auth.models import AnonymousUser

    audit.record(actor=None, action="suspension.auto", subject=owner)
    audit.record(actor=AnonymousUser(), action="suspension.auto", subject=owner)
    assert list(AuditEntry.objects.values_list("actor", flat=True)) == [None, None]


def listed(client, query: str) -> set[str]:
    response = client.get(LOG + query)
    assert response.status_code == 200
    return {entry.action for entry in response.context["cl"].result_list}


def test_the_admin_lists_and_filters_but_cannot_add_change_or_delete(admin_client, owner, outsider):
    kept = audit.record(actor=owner, action="review.decide", subject=outsider, after={"a": 1})
    audit.record(actor=outsider, action="suspension.lift", subject=owner)
    assert listed(admin_client, "") == {"review.decide", "suspension.lift"}
    assert listed(admin_client, "?action=review.decide") == {"review.decide"}
    assert listed(admin_client, f"?actor__id__exact={outsider.pk}") == {"suspension.lift"}
    assert listed(admin_client, f"?subject__id__exact={outsider.pk}") == {"review.decide"}

    assert admin_client.get(LOG + "add/").status_code == 403
    # The change page is a read-only view: no form that could save.
    view = admin_client.get(f"{LOG}{kept.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    admin_client.post(f"{LOG}{kept.pk}/change/", {"action": "forged", "target": "x"})
    assert admin_client.post(f"{LOG}{kept.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(
        LOG, {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"}
    )
    kept.refresh_from_db()
    assert kept.action == "review.decide" and kept.after == {"a": 1}
    assert AuditEntry.objects.count() == 2
