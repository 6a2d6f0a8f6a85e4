"""Every date and time the studio shows, in one format: "7 Dec 2026" for a day, and for an
instant "7 Dec 2026, 14:05 UTC" in a <time> element that static/js/gallery.js rewrites
into the reader's own time zone (naming it), so a time never appears without its zone."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

register = template.Library()

DAY = "%-d %b %Y"


@register.simple_tag
def when(value: datetime | None, *, seconds: bool = False, never: str = "never") -> str:
    if value is None:
        return never
    utc = value.astimezone(UTC)
    shown = utc.strftime(f"{DAY}, %H:%M{':%S' if seconds else ''} UTC")
    return format_html(
        '<time datetime="{}"{} data-local-time>{}</time>',
        utc.isoformat(),
        " data-seconds" if seconds else "",
        shown,
    )


@register.simple_tag
def day(value: datetime | None, *, never: str = "never") -> str:
    if value is None:
        return never
    return format_html(
        '<time datetime="{}">{}</time>', value.date().isoformat(), value.strftime(DAY)
    )
