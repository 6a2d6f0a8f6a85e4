"""The one module that does arithmetic with prices: the estimate of a submission (from the
provider's table in `studio.upstream.facts`) and every sum of what was spent or is held.

Each Generation stores the estimate it was submitted at (`estimated_price`); sums add those
stored figures, so a later change of the price table does not rewrite past months.
Completed jobs are spent, in-flight ones (pending, queued, processing) are held, failed ones
cost nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.generations.models import IN_FLIGHT, Generation, State
from studio.upstream import facts

ZERO = Decimal("0")
CENT = Decimal("0.01")
_MONEY = DecimalField(max_digits=12, decimal_places=4)


def estimate(*, model: str, type: str, ref_count: int, count: int = 1) -> Decimal:
    """What `count` images with these settings cost, at the provider's list price."""
    return facts.estimate_price(model=model, type=type, ref_count=ref_count, count=count)


def usd(amount: Decimal) -> str:
    """A sum of money as people read one: $5.00, $6.27, $0.04 (cents, rounded half up)."""
    return f"${Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)}"


def unit_usd(amount: Decimal) -> str:
    """The price of one image, to the provider's ten-thousandth of a dollar: $0.0404, $0.03."""
    amount = Decimal(amount)
    if amount == amount.quantize(CENT):
        return usd(amount)
    return f"${amount.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"


def month_start(now: datetime | None = None) -> datetime:
    """The start of the UTC calendar month of `now` (default: this instant)."""
    now = (now or timezone.now()).astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_of(day: date | datetime) -> date:
    return date(day.year, day.month, 1)


def _sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("estimated_price", filter=condition), Value(ZERO), output_field=_MONEY)


# The figures every usage table shows, as aggregate expressions over Generation rows.
FIGURES = {
    "completed": Count("pk", filter=Q(state=State.COMPLETED)),
    "failed": Count("pk", filter=Q(state=State.FAILED)),
    "in_flight": Count("pk", filter=Q(state__in=IN_FLIGHT)),
    "spent": _sum(Q(state=State.COMPLETED)),
    "held": _sum(Q(state__in=IN_FLIGHT)),
}


def exact(amount) -> Decimal:
    """A database sum as the exact decimal of four-place prices (SQLite adds as floats)."""
    return Decimal(amount or 0).quantize(Decimal("0.0001"))


def held(*, user=None, team=None, since: datetime) -> Decimal:
    """Spent + in flight since `since` by `user` (all their jobs) or against `team`."""
    rows = Generation.objects.filter(created_at__gte=since).exclude(state=State.FAILED)
    rows = rows.filter(billed_team=team) if team is not None else rows.filter(user=user)
    return exact(rows.aggregate(total=_sum(Q()))["total"])


def totals(rows: QuerySet[Generation], *group: str) -> list[dict]:
    """FIGURES for `rows`, one dict per distinct value of the `group` fields (or one in all
    when none), with `spent` and `held` as exact decimals."""
    query = rows.order_by().values(*group) if group else rows.order_by()
    result = list(query.annotate(**FIGURES)) if group else [query.aggregate(**FIGURES)]
    for row in result:
        row["spent"] = exact(row["spent"])
        row["held"] = exact(row["held"])
    return result
