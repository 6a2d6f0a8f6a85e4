"""Usage sums against a fixture whose figures were worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from studio.generations.models import Generation, State
from studio.usage import chart, prices, reports

from .helpers import NOW, job


@pytest.fixture
def fixture_jobs(owner, member, team):
    """December 2026 (this month) for owner:
    uni-1 image: completed 0.0404 ×3 = 0.1212; failed ×2 (content_moderated, generation_failed)
    uni-1-max image_edit: completed 0.1030 + 0.1060 = 0.2090; in flight (pending) 0.1030
    November: uni-1 image completed 0.0434 (with a reference); 13 months ago: not shown.
    member: one completed 0.0404 shared with the team (not owner's)."""
    for day in (1, 10, 15):
        job(owner, at=NOW.replace(day=day))
    job(owner, state=State.FAILED, failure_code="content_moderated")
    job(owner, state=State.FAILED, failure_code="generation_failed", at=NOW.replace(day=2))
    job(owner, price="0.1030", model="uni-1-max", type="image_edit", at=NOW.replace(day=3))
    job(owner, price="0.1060", model="uni-1-max", type="image_edit", at=NOW.replace(day=14))
    job(owner, price="0.1030", model="uni-1-max", type="image_edit", state=State.PENDING)
    job(owner, price="0.0434", at=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    job(owner, price="9.9999", at=datetime(2025, 11, 30, tzinfo=UTC))
    job(member, team=team, at=NOW.replace(day=1, hour=0, minute=0))


def test_this_month_by_model_and_type_matches_hand_sums(owner, fixture_jobs):
    months = reports.months(Generation.objects.filter(user=owner), now=NOW)
    dec = months[0]
    assert dec.start.isoformat() == "2026-12-01"
    lines = {(line["model"], line["type"]): line for line in dec.lines}
    assert lines["uni-1", "image"]["completed"] == 3
    assert lines["uni-1", "image"]["failed"] == 2
    assert lines["uni-1", "image"]["spent"] == Decimal("0.1212")
    assert lines["uni-1-max", "image_edit"]["completed"] == 2
    assert lines["uni-1-max", "image_edit"]["in_flight"] == 1
    assert lines["uni-1-max", "image_edit"]["spent"] == Decimal("0.2090")
    assert dec.spent == Decimal("0.3302")
    assert (dec.completed, dec.failed, dec.in_flight) == (5, 2, 1)


def test_twelve_months_newest_first_and_older_ones_left_out(owner, fixture_jobs):
    months = reports.months(Generation.objects.filter(user=owner), now=NOW)
    assert [m.start.isoformat() for m in months][:2] == ["2026-12-01", "2026-11-01"]
    assert months[-1].start.isoformat() == "2026-01-01"
    assert len(months) == 12
    assert months[1].spent == Decimal("0.0434")
    assert sum(m.spent for m in months) == Decimal("0.3736")


def test_failures_listed_by_code_and_not_charged(owner, fixture_jobs):
    since = prices.month_start(NOW)
    failures = reports.failures(Generation.objects.filter(user=owner), since=since)
    assert {(f["code"], f["n"]) for f in failures} == {
        ("content_moderated", 1),
        ("generation_failed", 1),
    }


def test_held_counts_spent_and_in_flight_but_not_failed(owner, fixture_jobs):
    since = prices.month_start(NOW)
    assert prices.held(user=owner, since=since) == Decimal("0.4332")  # 0.3302 + 0.1030


def test_sums_are_exact_over_many_rows(owner):
    Generation.objects.bulk_create(
        [
            Generation(
                user=owner,
                prompt="x",
                state=State.COMPLETED,
                created_at=NOW,
                estimated_price=Decimal("0.0434"),
            )
            for _ in range(1000)
        ]
    )
    assert prices.held(user=owner, since=prices.month_start(NOW)) == Decimal("43.4000")


def test_daily_spend_last_thirty_days(owner, fixture_jobs):
    days = reports.daily_spend(Generation.objects.filter(user=owner), now=NOW)
    assert len(days) == 30
    assert days[-1][0].isoformat() == "2026-12-15"
    assert days[0][0].isoformat() == "2026-11-16"
    by_day = {d.isoformat(): amount for d, amount in days}
    assert by_day["2026-12-15"] == Decimal("0.0404")  # the pending and failed ones cost 0
    assert by_day["2026-12-14"] == Decimal("0.1060")
    assert by_day["2026-11-30"] == Decimal("0.0434")
    assert by_day["2026-12-05"] == 0


def test_team_split_by_member(owner, member, team, fixture_jobs):
    job(owner, team=team, price="0.1000", model="uni-1-max")
    rows = Generation.objects.filter(billed_team=team)
    split = reports.members(rows, since=prices.month_start(NOW))
    assert [(m["user__username"], m["spent"]) for m in split] == [
        ("owner", Decimal("0.1000")),
        ("member", Decimal("0.0404")),
    ]


def test_chart_scales_to_the_highest_day():
    from datetime import date

    c = chart.daily_chart(
        [(date(2026, 12, 1), Decimal("0.10")), (date(2026, 12, 2), Decimal("0.05"))]
    )
    plot = chart.HEIGHT - chart.TOP - chart.BOTTOM
    assert c.bars[0].height == plot
    assert c.bars[1].height == plot / 2
    assert c.bars[0].y + c.bars[0].height == c.baseline


def test_sums_show_cents_and_a_price_per_image_its_fourth_decimal():
    assert prices.usd(Decimal("5")) == "$5.00"
    assert prices.usd(Decimal("6.2720")) == "$6.27"
    assert prices.usd(Decimal("0.0450")) == "$0.05"  # half up, as people round money
    assert prices.usd(Decimal("0.0404")) == "$0.04"
    assert prices.unit_usd(Decimal("0.0300")) == "$0.03"
    assert prices.unit_usd(Decimal("0.0404")) == "$0.0404"
    assert prices.unit_usd(Decimal("0.1030")) == "$0.1030"
