"""Acting on many generations at once: `POST /generations/bulk/` with `action` and `ids`.

Every action asks the access module exactly what its single-item form asks, one item at a
time; an item the person may not act on is skipped and counted, never an error for the
rest ("3 deleted, 1 was not yours"). Ids that do not exist or that the person may not see
count as "not yours" too, so the answer tells nothing about other people's work.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.text import slugify

from studio.core.media import extension_for
from studio.teams.models import Team

from . import access, parameters, services, trash, zips
from .models import Generation, Output, State

ACTIONS = ("download", "share", "unshare", "favourite", "unfavourite", "delete")
# More than any gallery loads in one sitting; past it the request is refused unread.
MAX_IDS = 1000
NOT_YOURS = "not yours"
MANIFEST = "manifest.json"

DONE = {
    "download": "in the zip",
    "share": "shared",
    "unshare": "unshared",
    "favourite": "starred",
    "unfavourite": "unstarred",
    "delete": "moved to the trash",
}


class BulkError(ValueError):
    """A request refused whole (400); the message is for the person who sent it."""


@dataclass
class Outcome:
    action: str
    done: list[Generation] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> how many
    team: Team | None = None

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def message(self) -> str:
        """ "3 deleted, 1 was not yours"."""
        done = DONE[self.action]
        if self.action == "share" and self.team is not None:
            done += f" with {self.team.name}"
        parts = [f"{len(self.done)} {done}"]
        for reason, n in self.skipped.items():
            parts.append(f"{n} {'was' if n == 1 else 'were'} {reason}")
        return ", ".join(parts)


def parse_ids(values: Iterable[str]) -> list[int]:
    """The ids as posted (several `ids` fields, or one comma-separated), unique, in order."""
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part.isdigit():
                if part:
                    raise BulkError(f"“{part[:20]}” is not a generation id.")
                continue
            if int(part) not in ids:
                ids.append(int(part))
    if not ids:
        raise BulkError("Nothing was selected: tick the images to act on first.")
    if len(ids) > MAX_IDS:
        raise BulkError(f"{len(ids)} images were selected; at most {MAX_IDS} at once.")
    return ids


def _split(
    user, ids: list[int], may: Callable[[object, Generation], bool], outcome: Outcome
) -> list[Generation]:
    """The generations among `ids` that `may` allows, in the order given; the rest counted
    as not the person's."""
    seen = {g.pk: g for g in access.visible_generations(user).filter(pk__in=ids)}
    allowed = [seen[i] for i in ids if i in seen and may(user, seen[i])]
    outcome.skip(NOT_YOURS, len(ids) - len(allowed))
    return allowed


def _may_unshare(user, gen: Generation) -> bool:
    # A private item is the author's to report as "not shared", not as "not yours".
    return access.may_unshare(user, gen) if gen.team_id else access.is_author(user, gen)


def shareable_team(user, slug: str) -> Team:
    """The team `user` may share with (editor or owner), as the composer's choice is."""
    team = Team.objects.shareable_by(user).filter(slug=slug).first() if slug else None
    if team is None:
        raise BulkError(
            "Choose one of your teams (where you are an editor or owner) to share with."
        )
    return team


def plugged_in(action: str) -> Callable | None:
    """A bulk action a higher app adds (settings.BULK_ACTIONS), e.g. `collect`."""
    path = settings.BULK_ACTIONS.get(action)
    return import_string(path) if path else None


def apply(*, user, action: str, ids: list[int], team_slug: str = "") -> Outcome:
    """Every action but download; each item through the same rule as its single action."""
    if action not in ACTIONS or action == "download":
        raise BulkError(f"“{action[:20]}” is not something that can be done to a selection.")
    outcome = Outcome(action)
    with transaction.atomic():
        if action == "delete":
            # To the trash, as a single Delete: restorable for 30 days.
            outcome.done.extend(_split(user, ids, access.may_change, outcome))
            trash.trash(outcome.done)
        elif action in ("favourite", "unfavourite"):
            # A star is the person's own, on anything they see (access.may_favourite).
            for gen in _split(user, ids, access.may_favourite, outcome):
                services.set_favourite(user=user, generation=gen, on=action == "favourite")
                outcome.done.append(gen)
        elif action == "share":
            outcome.team = team = shareable_team(user, team_slug)
            may_share = lambda u, g: access.may_share(u, g, team)  # noqa: E731
            for gen in _split(user, ids, may_share, outcome):
                services.share(user=user, generation=gen, team=team)
                outcome.done.append(gen)
        else:  # unshare: the author, or an owner of the team it is shared with
            for gen in _split(user, ids, _may_unshare, outcome):
                if gen.team_id is None:
                    outcome.skip("not shared")
                    continue
                services.unshare(user=user, generation=gen)
                outcome.done.append(gen)
    return outcome


# --- download ---------------------------------------------------------------------------


SKIPPED_NOTE = "NOT-INCLUDED.txt"


@dataclass
class Download:
    outcome: Outcome
    entries: list[tuple[str, Output]]
    # Beside each image its parameters (a sidecar of the same name, .json), and the
    # manifest.json of them all: the settings travel with the files.
    documents: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def filename(self) -> str:
        n = len(self.entries)
        return f"studio-{n}-image{'s' if n != 1 else ''}.zip"

    def stream(self) -> Iterator[bytes]:
        files: list[tuple[str, Callable]] = [
            (name, (lambda out=out: out.file.open("rb"))) for name, out in self.entries
        ]
        files += [(name, (lambda data=data: io.BytesIO(data))) for name, data in self.documents]
        if self.outcome.skipped:
            # The browser only saves the file: the zip itself says what it left out.
            files.append((SKIPPED_NOTE, lambda: io.BytesIO(self.skipped_note().encode())))
        return zips.stream(files)

    def skipped_note(self) -> str:
        return (
            f"{self.outcome.message()}.\n"
            "Only finished images are downloaded: a failed or unfinished generation has none.\n"
        )


def _may_see(user, gen: Generation) -> bool:
    return True  # _split starts from what the person may see: that is the download rule


def download(*, user, ids: list[int]) -> Download:
    """The originals of the chosen images that `user` may see, named from the prompt and the
    position ("a-red-fox-in-snow-2.png" for the second of a batch)."""
    outcome = Outcome("download")
    gens = _split(user, ids, _may_see, outcome)
    outputs = {
        gen.pk: list(gen.outputs.all())
        for gen in Generation.objects.filter(pk__in=[g.pk for g in gens]).prefetch_related(
            "outputs"
        )
    }
    entries: list[tuple[str, Output]] = []
    documents: list[tuple[str, bytes]] = []
    manifest: list[dict] = []
    taken: set[str] = {MANIFEST}
    for gen in gens:
        files = outputs.get(gen.pk, []) if gen.state == State.COMPLETED else []
        if not files:
            outcome.skip("without an image yet" if gen.in_flight else "without an image")
            continue
        outcome.done.append(gen)
        names = {}
        for out in files:
            name = _zip_name(gen, out, several=len(files) > 1, taken=taken)
            taken.add(name)
            names[out.pk] = name
            entries.append((name, out))
        document = parameters.document(gen, files, names)
        manifest.append(document)
        for name in names.values():
            sidecar = f"{name.rsplit('.', 1)[0]}.json"
            taken.add(sidecar)
            documents.append((sidecar, _json(document)))
    limit = settings.ZIP_MAX_FILES
    if len(entries) > limit:
        raise BulkError(
            f"{len(entries)} images were chosen; one zip holds at most {limit}. "
            "Download them in smaller groups."
        )
    if not entries:
        raise BulkError(f"Nothing to download: {outcome.message()}.")
    documents.append((MANIFEST, _json({"format": "studio.manifest", "items": manifest})))
    return Download(outcome, entries, documents)


def _json(document: dict) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _zip_name(gen: Generation, out: Output, *, several: bool, taken: set[str]) -> str:
    words = slugify(gen.prompt)[:60].strip("-") or "image"
    stem = f"{words}-{gen.batch_position or 1}"
    if several:
        stem += f"-{out.position + 1}"
    ext = extension_for(out.media_type)
    name = f"{stem}.{ext}"
    # The same prompt twice (a remix, a retry): the id tells them apart (the image's and
    # its sidecar's name).
    free = name not in taken and f"{stem}.json" not in taken
    return name if free else f"{stem}-{gen.pk}.{ext}"
