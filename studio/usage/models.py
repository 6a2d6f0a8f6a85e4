"""Budgets: an optional monthly cap in USD, one row per person or per team.

The row is also what a submission locks (`select_for_update`) while it checks the cap and
saves its Generation, so two submissions against the same cap run one after the other.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class Budget(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget",
    )
    team = models.OneToOneField(
        "teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="budget"
    )
    monthly_usd = models.DecimalField(
        "monthly cap (USD)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Per UTC calendar month; empty: no cap.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="budget_for_person_or_team",
            )
        ]

    def __str__(self) -> str:
        cap = f"${self.monthly_usd}" if self.monthly_usd is not None else "no cap"
        return f"{self.owner_label}: {cap} a month"

    @property
    def owner_label(self) -> str:
        return f"team {self.team}" if self.team_id else str(self.user)
