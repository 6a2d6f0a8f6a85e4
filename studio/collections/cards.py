"""What collections add to a gallery card's cache key (settings.CARD_KEY_PARTS): the
"Add to collection" menu lists the viewer's collections, so a kept card must change when
they do."""

from __future__ import annotations

from .templatetags.collecting import _choices


def card_key(request, gen) -> tuple | None:
    # The menu is drawn on a completed card, for a viewer who may act on it.
    if gen.state != "completed" or not getattr(gen, "can_star", False):
        return None
    choices = _choices({"request": request})
    return tuple((c.pk, c.name, c.team_id, c.team.name if c.team_id else "") for c in choices)
