"""Monthly caps: what is left of them and the check a submission passes before it is saved.

A job counts against a cap from the moment its row exists: completed jobs are spent,
pending / queued / processing ones are held (they may still be charged), failed ones are
free. Months are UTC calendar months; all sums are exact decimals of the prices stored on
the rows (see `studio.usage.prices`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from studio.core import audit
from studio.generations.gate import OVER_BUDGET, SubmissionRefused
from studio.teams.models import MANAGING_ROLES, PersonTeams, Team

from . import prices
from .models import Budget

WARN_AT = Decimal("0.8")  # past 80 % of a cap the form warns


class OverBudget(SubmissionRefused):
    """A submission whose estimate would take a month past a cap; nothing was saved. The
    gate's last check (settings.SUBMISSION_RESERVATIONS names `reserve`)."""

    def __init__(self, message: str) -> None:
        super().__init__(OVER_BUDGET, message)


@dataclass(frozen=True)
class Standing:
    """One cap and how much of this month's share of it is used."""

    label: str  # "Your monthly budget", "The monthly budget of team Design"
    cap: Decimal
    used: Decimal  # spent + in flight
    personal: bool = False  # the person's own cap (it applies to every submission)

    @property
    def left(self) -> Decimal:
        return max(self.cap - self.used, Decimal("0"))

    @property
    def spent(self) -> bool:
        """Too little left for even the cheapest image: the form says so plainly."""
        cheapest = prices.estimate(model="uni-1", type="image", ref_count=0, count=1)
        return self.left < cheapest

    @property
    def warn(self) -> bool:
        return self.used > self.cap * WARN_AT and not self.spent

    def refusal(self, estimate: Decimal, count: int) -> str:
        what = "this image costs" if count == 1 else f"these {count} images cost"
        return (
            f"{self.label} of {prices.usd(self.cap)} has {prices.usd(self.left)} left; "
            f"{what} about {(prices.unit_usd if count == 1 else prices.usd)(estimate)}."
        )


def _label(budget: Budget) -> str:
    return f"The monthly budget of team {budget.team}" if budget.team_id else "Your monthly budget"


def _standing(budget: Budget, since: datetime) -> Standing:
    used = prices.held(
        user=budget.user if not budget.team_id else None, team=budget.team, since=since
    )
    return Standing(
        label=_label(budget), cap=budget.monthly_usd, used=used, personal=not budget.team_id
    )


def reserve(*, user, team: Team | None, estimate: Decimal, count: int = 1) -> None:
    """Refuse (`OverBudget`) a submission of `count` images costing `estimate` in all when
    it would take `user`'s month, or `team`'s, past its cap.

    Call it inside the transaction that then creates the Generation row(s): the budget rows
    stay locked until that transaction ends, so concurrent submissions are checked one
    after the other and each sees the rows the previous one saved. (SQLite has no row
    locks; its IMMEDIATE transactions already run one writer at a time.)
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve() must run inside the transaction that saves the job")
    owners = Q(user=user)
    if team is not None:
        owners |= Q(team=team)
    # One query, locked in primary-key order, so two submissions never wait on each other
    # in opposite orders.
    budgets = (
        Budget.objects.select_for_update(of=("self",))
        .filter(owners, monthly_usd__isnull=False)
        .select_related("team")
        .order_by("pk")
    )
    since = prices.month_start()
    for budget in budgets:
        standing = _standing(budget, since)
        if standing.used + estimate > standing.cap:
            raise OverBudget(standing.refusal(estimate, count))


def _standings(budgets) -> list[Standing]:
    since = prices.month_start()
    capped = budgets.filter(monthly_usd__isnull=False).select_related("team", "user")
    # Own budget first, then the teams by name.
    ordered = sorted(capped, key=lambda b: (b.team_id is not None, str(b.team or "")))
    return [_standing(b, since) for b in ordered]


def standings_for(user, *, teams: PersonTeams | None = None) -> list[Standing]:
    """The caps the composer shows `user`: their own, and those of the teams they own
    (from `teams`, `user`'s as the page read them, when given)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if teams is not None:
        owned = [pk for pk, role in teams.roles.items() if role in MANAGING_ROLES]
        return _standings(Budget.objects.filter(Q(user=user) | Q(team_id__in=owned)))
    return _standings(
        Budget.objects.filter(Q(user=user) | Q(team__in=Team.objects.managed_by(user)))
    )


def person_standings(user) -> list[Standing]:
    """`user`'s own cap, if they have one (a list of at most one, for the templates)."""
    return _standings(Budget.objects.filter(user=user))


def team_standings(team: Team) -> list[Standing]:
    return _standings(Budget.objects.filter(team=team))


def set_cap(*, monthly: Decimal | None, user=None, team: Team | None = None, actor=None) -> Budget:
    """Set (or, with None, clear) the monthly cap of `user` or `team`; audited."""
    if (user is None) == (team is None):
        raise ValueError("a budget is for a person or for a team")
    if monthly is not None:
        monthly = Decimal(monthly).quantize(prices.CENT)
    with transaction.atomic():
        budget, _ = Budget.objects.select_for_update().get_or_create(user=user, team=team)
        before = budget.monthly_usd
        budget.monthly_usd = monthly
        budget.save()
        record_change(budget, before=before, actor=actor)
    return budget


def record_change(budget: Budget, *, before: Decimal | None, actor) -> None:
    """One audit row for a changed cap (none when it did not change)."""
    if before == budget.monthly_usd:
        return
    audit.record(
        actor=actor,
        action="budget.change",
        subject=budget.user,
        target=budget.team if budget.team_id else budget,
        before={"monthly_usd": None if before is None else str(before)},
        after={"monthly_usd": None if budget.monthly_usd is None else str(budget.monthly_usd)},
    )
