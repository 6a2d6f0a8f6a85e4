from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from studio.generations.forms import GenerationForm
from studio.generations.models import Generation, State

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


def job(
    user,
    *,
    price: str = "0.0404",
    state: str = State.COMPLETED,
    at: datetime = NOW,
    model: str = "uni-1",
    type: str = "image",
    team=None,
    failure_code: str = "",
) -> Generation:
    """A row as the pipeline leaves it, at a chosen time and price (no worker involved)."""
    if state == State.FAILED and not failure_code:
        failure_code = "generation_failed"
    return Generation.objects.create(
        user=user,
        team=team,
        billed_team=team,
        prompt="usage fixture",
        model=model,
        type=type,
        state=state,
        failure_code=failure_code,
        estimated_price=Decimal(price),
        created_at=at,
    )


def team_value(team) -> str:
    """The team as the composer's select posts it."""
    return str(getattr(team, GenerationForm().fields["team"].to_field_name or "pk"))
