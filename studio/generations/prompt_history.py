"""The prompts a person used lately, newest first, for the prompt box (↑ in an empty box,
or the "Recent prompts" menu: static/js/prompt_history.js).

Derived from the person's own Generation rows, so nothing new is stored: a deleted
generation takes its prompt with it, and a teammate's shared work is never among them.
"""

from __future__ import annotations

from . import access

RECENT = 20
# Rows read to find RECENT distinct prompts (a batch or a retry repeats one); the
# (user, -created_at) index makes this a short range scan at any gallery size.
SCAN = 200


def recent_prompts(user, limit: int = RECENT) -> list[str]:
    """The user's own distinct prompts, the most recently used first, at most `limit`."""
    rows = access.own_generations(user).order_by("-created_at", "-id")
    found: dict[str, None] = {}
    for prompt in rows.values_list("prompt", flat=True)[:SCAN]:
        prompt = prompt.strip()
        if prompt and prompt not in found:
            found[prompt] = None
            if len(found) == limit:
                break
    return list(found)
