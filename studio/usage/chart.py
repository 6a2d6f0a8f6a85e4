"""A bar chart of spend per day as plain SVG geometry, drawn by the template: no chart
library, no script, no inline style (the CSP allows neither); colours come from CSS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import prices

WIDTH = 600
HEIGHT = 160
TOP = 4  # the peak's dashed line (the labels are HTML around the drawing)
BOTTOM = 2
GAP = 2


@dataclass(frozen=True)
class Bar:
    day: date
    amount: Decimal
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        return f"{self.day:%-d %b}: {prices.usd(self.amount)}"


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    peak: Decimal
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def empty(self) -> bool:
        return self.peak == 0

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM

    @property
    def center(self) -> int:
        return self.width // 2

    @property
    def top(self) -> int:
        return TOP

    @property
    def peak_label(self) -> str:
        return prices.usd(self.peak)

    @property
    def first(self) -> Bar | None:
        return self.bars[0] if self.bars else None

    @property
    def last(self) -> Bar | None:
        return self.bars[-1] if self.bars else None


def daily_chart(days: list[tuple[date, Decimal]]) -> Chart:
    """Bars for (day, amount) pairs, scaled so that the highest day fills the plot."""
    peak = max((amount for _, amount in days), default=prices.ZERO)
    plot = HEIGHT - TOP - BOTTOM
    slot = WIDTH / max(len(days), 1)
    bars = []
    for i, (day, amount) in enumerate(days):
        h = round(float(amount / peak) * plot, 1) if peak else 0.0
        # A day with spend stays visible however small it is next to the peak.
        if amount and h < 1:
            h = 1.0
        bars.append(
            Bar(
                day=day,
                amount=amount,
                x=round(i * slot + GAP / 2, 1),
                y=round(HEIGHT - BOTTOM - h, 1),
                width=round(slot - GAP, 1),
                height=h,
            )
        )
    return Chart(bars=bars, peak=peak)
