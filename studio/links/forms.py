"""The "Public link" form: show the prompt or not, and when the link stops working."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import timezone

# The choices of `expires`: never, a number of days, or the date in `expires_on`.
EXPIRY_CHOICES = [
    ("never", "Never"),
    ("1", "In 1 day"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("date", "On a date…"),
]
# A chosen date may be up to a year ahead; "never" is there for longer.
MAX_DAYS_AHEAD = 366


class LinkForm(forms.Form):
    show_prompt = forms.BooleanField(required=False, label="Show the prompt")
    expires = forms.ChoiceField(
        choices=EXPIRY_CHOICES,
        initial="never",
        label="Expires",
        error_messages={
            "invalid_choice": "Expires: choose never, in 1, 7 or 30 days, or a date.",
            "required": "Expires: choose never, in 1, 7 or 30 days, or a date.",
        },
    )
    expires_on = forms.DateField(
        required=False,
        label="Expiry date",
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Expiry date: write it as YYYY-MM-DD."},
    )

    def clean(self):
        data = super().clean()
        if data.get("expires") == "date":
            on: date | None = data.get("expires_on")
            if on is None and "expires_on" not in self.errors:
                self.add_error("expires_on", "Expiry date: pick the day the link stops working.")
            elif on is not None:
                today = timezone.now().astimezone(UTC).date()
                if on < today:
                    self.add_error("expires_on", "Expiry date: pick today or a later day.")
                elif on > today + timedelta(days=MAX_DAYS_AHEAD):
                    self.add_error(
                        "expires_on",
                        "Expiry date: at most a year ahead (choose Never for longer).",
                    )
        return data

    def expires_at(self) -> datetime | None:
        """When the link stops working (a chosen date: at the end of that day, UTC)."""
        choice = self.cleaned_data["expires"]
        if choice == "never":
            return None
        if choice == "date":
            on = self.cleaned_data["expires_on"]
            return datetime.combine(on + timedelta(days=1), time.min, tzinfo=UTC)
        return timezone.now() + timedelta(days=int(choice))
