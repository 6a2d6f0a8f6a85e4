"""What the usage pages show: a person's, a team's or everybody's generations and estimated
spend by month, model and type, failures by code, and spend per day. Every figure comes
from `prices.totals`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from studio.generations.models import Generation, State
from studio.upstream import facts

from . import prices

MONTHS = 12
DAYS = 30


@dataclass
class Month:
    start: date
    lines: list[dict] = field(default_factory=list)  # model, type, completed, failed, spent

    @property
    def completed(self) -> int:
        return sum(line["completed"] for line in self.lines)

    @property
    def failed(self) -> int:
        return sum(line["failed"] for line in self.lines)

    @property
    def in_flight(self) -> int:
        return sum(line["in_flight"] for line in self.lines)

    @property
    def spent(self) -> Decimal:
        return sum((line["spent"] for line in self.lines), prices.ZERO)


def month_starts(now: datetime, n: int = MONTHS) -> list[date]:
    """The first days of the last `n` UTC months, this one first."""
    start = prices.month_of(prices.month_start(now))
    months = []
    for _ in range(n):
        months.append(start)
        start = prices.month_of(start - timedelta(days=1))
    return months


def _as_date(value: date | datetime) -> date:
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def by_month(rows: QuerySet[Generation], *, now: datetime, extra: tuple[str, ...] = ()) -> list:
    """`prices.totals` per UTC month (the last MONTHS), model, type and `extra` fields."""
    oldest = month_starts(now)[-1]
    since = datetime(oldest.year, oldest.month, 1, tzinfo=UTC)
    recent = rows.filter(created_at__gte=since).annotate(month=TruncMonth("created_at", tzinfo=UTC))
    lines = prices.totals(recent, "month", *extra, "model", "type")
    for line in lines:
        line["month"] = _as_date(line["month"])
    return sorted(lines, key=lambda line: (line["month"], *(str(line[f]) for f in extra)))


def months(rows: QuerySet[Generation], *, now: datetime) -> list[Month]:
    """The last MONTHS months, this one first, each with a line per model and type."""
    table = {start: Month(start) for start in month_starts(now)}
    for line in by_month(rows, now=now):
        table[line["month"]].lines.append(line)
    return list(table.values())


def failures(rows: QuerySet[Generation], *, since: datetime) -> list[dict]:
    """Failed jobs since `since` by failure code, with what the code means (not charged)."""
    failed = rows.filter(state=State.FAILED, created_at__gte=since).order_by()
    counts = failed.values("failure_code").annotate(n=Count("pk")).order_by("-n", "failure_code")
    return [
        {"code": c["failure_code"], "n": c["n"], "info": facts.failure_info(c["failure_code"])}
        for c in counts
    ]


def daily_spend(rows: QuerySet[Generation], *, now: datetime) -> list[tuple[date, Decimal]]:
    """Spend per UTC day over the last DAYS days, oldest first, zero for days without any."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    recent = rows.filter(created_at__gte=since).annotate(day=TruncDate("created_at", tzinfo=UTC))
    spent = {_as_date(r["day"]): r["spent"] for r in prices.totals(recent, "day")}
    return [
        (day, spent.get(day, prices.ZERO))
        for day in (first + timedelta(days=i) for i in range(DAYS))
    ]


def members(rows: QuerySet[Generation], *, since: datetime) -> list[dict]:
    """This month's figures per member (author) of a team's jobs, biggest spend first."""
    lines = prices.totals(rows.filter(created_at__gte=since), "user__username")
    return sorted(lines, key=lambda line: (-line["spent"], line["user__username"]))


def through_api(rows: QuerySet[Generation], *, since: datetime) -> dict[str, list[dict]]:
    """This month's API-made jobs by token, and by token and the end-user its caller named
    (as given), biggest spend first; the web's own jobs are in neither."""
    made = rows.filter(created_at__gte=since, api_token__isnull=False)
    order = lambda line: (-line["spent"], *(str(v) for v in line.values()))  # noqa: E731
    by_token = prices.totals(made, "api_token__name")
    by_end_user = prices.totals(made.exclude(end_user=""), "api_token__name", "end_user")
    return {"tokens": sorted(by_token, key=order), "end_users": sorted(by_end_user, key=order)}


def report(rows: QuerySet[Generation], *, now: datetime | None = None) -> dict:
    """Everything a usage page shows for `rows` (a person's jobs, or a team's)."""
    now = now or timezone.now()
    since = prices.month_start(now)
    month_list = months(rows, now=now)
    return {
        "months": month_list,
        "this_month": month_list[0],
        "failures": failures(rows, since=since),
        "daily": daily_spend(rows, now=now),
        "api": through_api(rows, since=since),
    }
