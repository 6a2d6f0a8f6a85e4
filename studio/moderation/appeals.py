"""The person's side of a review: "I think this was a mistake", once per moderated
failure, and what they are told (the decision, never the note nor who made it)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist

from studio.generations.models import Generation

from .models import Appeal


class AppealRefused(Exception):
    pass


def may_appeal(generation: Generation) -> bool:
    return generation.moderated and not Appeal.objects.filter(generation=generation).exists()


def appeal(*, generation: Generation, note: str) -> Appeal:
    """Ask for a review (the caller checked that the person is the author)."""
    if not generation.moderated:
        raise AppealRefused("Only a moderated failure can be reviewed.")
    appeal, created = Appeal.objects.get_or_create(
        generation=generation, defaults={"note": note.strip()[:2000]}
    )
    if not created:
        raise AppealRefused("You already asked for a review of this one.")
    return appeal


def review_status(generation: Generation) -> dict | None:
    """What the author is shown about the review of a moderated failure (None otherwise)."""
    if not generation.moderated:
        return None
    review = _related(generation, "moderation_review")
    appealed = _related(generation, "moderation_appeal") is not None
    if review is not None and review.decision != review.Decision.NEEDS_FOLLOW_UP:
        return {"decided": True, "text": review.shown_to_author, "appealed": appealed}
    return {"decided": False, "appealed": appealed, "may_appeal": not appealed}


def _related(generation: Generation, name: str):
    try:
        return getattr(generation, name)
    except ObjectDoesNotExist:
        return None
