"""What moderation adds to a gallery card's cache key (settings.CARD_KEY_PARTS): its author
sees the review's outcome and their appeal on a moderated failure's card."""

from __future__ import annotations

from studio.generations.models import MODERATED


def card_key(request, gen) -> tuple | None:
    if gen.failure_code != MODERATED or not getattr(gen, "is_own", False):
        return None
    review = getattr(gen, "moderation_review", None)
    appeal = getattr(gen, "moderation_appeal", None)
    return (
        (review.decision, review.shown_to_author) if review is not None else None,
        appeal is not None,
    )
