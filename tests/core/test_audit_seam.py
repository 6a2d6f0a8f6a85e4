"""Every app records to the audit log through studio.core.audit, which hands the row to the
function STUDIO_AUDIT_RECORDER names (moderation's model, above most of the callers)."""

from studio.core import audit
from studio.moderation.models import AuditEntry
from studio.teams import services


def test_record_writes_an_audit_entry_through_moderation(owner, outsider):
    entry = audit.record(actor=owner, action="budget.set", subject=outsider, after={"usd": "5"})
    assert AuditEntry.objects.get() == entry
    assert (entry.actor, entry.subject, entry.after) == (owner, outsider, {"usd": "5"})


def test_a_team_change_goes_through_the_recorder_setting(settings, owner):
    calls = []
    settings.STUDIO_AUDIT_RECORDER = f"{__name__}.recorder"
    recorder.calls = calls
    services.create_team(name="Night shift", owner=owner)
    assert [(c["action"], c["target"]) for c in calls] == [("team.created", "team night-shift")]
    assert not AuditEntry.objects.exists()


def recorder(**fields):
    recorder.calls.append(fields)
