"""Everybody's usage, for staff: this month per person and per team, and the CSV export."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.generations.models import Generation
from studio.teams.models import Team

from . import prices, reports
from .models import Budget

CSV_COLUMNS = ["username", "team", "month", "model", "type", "completed", "failed", "estimated_usd"]
SORTS = {"spent", "-spent", "name", "-name"}


def _rows_for(owners, figures: dict, caps: dict, sort: str) -> list[dict]:
    empty = {"completed": 0, "failed": 0, "in_flight": 0, "spent": prices.ZERO, "held": prices.ZERO}
    rows = [
        {
            "owner": owner,
            "name": str(owner),
            **figures.get(owner.pk, empty),
            "cap": caps.get(owner.pk),
        }
        for owner in owners
    ]
    key = sort.lstrip("-")
    # Ties (and the name sort) by name, so the order is stable.
    rows.sort(key=lambda r: r["name"].lower())
    rows.sort(
        key=lambda r: r[key] if key == "spent" else r["name"].lower(), reverse=sort.startswith("-")
    )
    return rows


def everyone(*, sort: str = "-spent", now: datetime | None = None) -> dict:
    """Every person and every team with this month's figures, sorted by spend or name."""
    sort = sort if sort in SORTS else "-spent"
    since = prices.month_start(now)
    month = Generation.objects.filter(created_at__gte=since)
    by_user = {r["user"]: r for r in prices.totals(month, "user")}
    by_team = {
        r["billed_team"]: r
        for r in prices.totals(month.filter(billed_team__isnull=False), "billed_team")
    }
    user_caps = dict(Budget.objects.filter(user__isnull=False).values_list("user", "monthly_usd"))
    team_caps = dict(Budget.objects.filter(team__isnull=False).values_list("team", "monthly_usd"))
    people = _rows_for(get_user_model().objects.order_by("username"), by_user, user_caps, sort)
    teams = _rows_for(Team.objects.order_by("name"), by_team, team_caps, sort)
    return {
        "month": prices.month_of(since),
        "sort": sort,
        "people": people,
        "teams": teams,
        "sections": [("People", people), ("Teams", teams)],
    }


def csv_rows(*, now: datetime | None = None) -> list[list[str]]:
    """One line per person, team (the one billed at submit; empty: none), UTC month, model
    and type over the last 12 months; estimated_usd is what the completed jobs cost."""
    now = now or timezone.now()
    lines = reports.by_month(
        Generation.objects.all(), now=now, extra=("user__username", "billed_team__name")
    )
    return [
        [
            line["user__username"],
            line["billed_team__name"] or "",
            f"{line['month']:%Y-%m}",
            line["model"],
            line["type"],
            str(line["completed"]),
            str(line["failed"]),
            str(line["spent"]),
        ]
        for line in lines
    ]
