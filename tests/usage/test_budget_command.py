"""`manage.py budget` and the admin: caps set, changed and cleared, each audited once."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from studio.moderation.models import AuditEntry
from studio.usage import budgets
from studio.usage.models import Budget


def _run(*args) -> str:
    out = StringIO()
    call_command("budget", *args, stdout=out)
    return out.getvalue()


def test_person_cap_set_changed_and_cleared(owner):
    assert "owner: $5.00 a month" in _run("owner", "--monthly", "5.00")
    assert Budget.objects.get(user=owner).monthly_usd == Decimal("5.00")
    _run("owner", "--monthly", "7.5")
    assert Budget.objects.get(user=owner).monthly_usd == Decimal("7.50")
    assert "no monthly cap" in _run("owner", "--clear")
    assert Budget.objects.get(user=owner).monthly_usd is None


def test_team_cap_by_name(team):
    assert "team Design: $50.00 a month" in _run("--team", "Design", "--monthly", "50")
    assert Budget.objects.get(team=team).monthly_usd == Decimal("50")
    _run("--team", "Design", "--clear")
    assert Budget.objects.get(team=team).monthly_usd is None


@pytest.mark.parametrize(
    "args",
    [
        ["nobody", "--monthly", "5"],
        ["--team", "Nope", "--monthly", "5"],
        ["owner", "--monthly", "-1"],
        ["owner", "--monthly", "0.001"],
        ["owner", "--monthly", "lots"],
        ["--monthly", "5"],
        ["owner", "--team", "Design", "--monthly", "5"],
    ],
)
def test_bad_invocations_exit_with_a_message(owner, team, args):
    with pytest.raises(CommandError):
        _run(*args)
    assert not Budget.objects.exclude(monthly_usd=None).exists()


def test_every_change_writes_one_audit_row(owner, team):
    _run("owner", "--monthly", "5.00")
    _run("owner", "--monthly", "5.00")  # no change: no row
    _run("--team", "Design", "--monthly", "50")
    _run("owner", "--clear")
    rows = list(AuditEntry.objects.filter(action="budget.change").order_by("pk"))
    assert len(rows) == 3
    assert rows[0].subject == owner
    assert (rows[0].before, rows[0].after) == ({"monthly_usd": None}, {"monthly_usd": "5.00"})
    assert "Design" in rows[1].target and rows[1].after == {"monthly_usd": "50.00"}
    assert (rows[2].before, rows[2].after) == ({"monthly_usd": "5.00"}, {"monthly_usd": None})
    assert rows[2].actor is None  # a command run by no one in particular


def test_admin_change_is_audited_with_its_actor(client, owner):
    admin = get_user_model().objects.create_superuser("boss", password="pw-boss-12345")
    client.force_login(admin)
    response = client.post(
        "/admin/usage/budget/add/", {"user": owner.pk, "team": "", "monthly_usd": "3.00"}
    )
    assert response.status_code == 302
    budget = Budget.objects.get(user=owner)
    client.post(
        f"/admin/usage/budget/{budget.pk}/change/",
        {"user": owner.pk, "team": "", "monthly_usd": "4.00"},
    )
    client.post(f"/admin/usage/budget/{budget.pk}/delete/", {"post": "yes"})
    rows = list(AuditEntry.objects.filter(action="budget.change").order_by("pk"))
    assert [(r.before, r.after) for r in rows] == [
        ({"monthly_usd": None}, {"monthly_usd": "3.00"}),
        ({"monthly_usd": "3.00"}, {"monthly_usd": "4.00"}),
        ({"monthly_usd": "4.00"}, {"monthly_usd": None}),
    ]
    assert all(r.actor == admin for r in rows)


def test_set_cap_needs_exactly_one_owner(owner, team):
    with pytest.raises(ValueError):
        budgets.set_cap(user=owner, team=team, monthly=Decimal("1"))
