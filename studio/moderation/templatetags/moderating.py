"""What generations' pages show of moderation, drawn from here so that generations need not
import the app above it: the composer's suspension notice, the review of a moderated
failure on its detail page."""

from __future__ import annotations

from django import template

from studio.generations import access
from studio.generations.models import Generation

from .. import appeals, suspension

register = template.Library()


@register.simple_tag
def suspension_notice(user) -> str:
    """Why `user` may not submit now ("" when they may): the composer shows it instead of
    its Generate button."""
    current = suspension.active_suspension(user)
    return suspension.message_for(current) if current else ""


@register.inclusion_tag("moderation/_review_status.html", takes_context=True)
def review_status(context: template.Context, gen: Generation) -> dict:
    """The review of a moderated failure as its author is told it (others see nothing)."""
    user = context["request"].user
    status = appeals.review_status(gen) if access.is_author(user, gen) else None
    return {"status": status, "gen": gen, "csrf_token": context.get("csrf_token")}
