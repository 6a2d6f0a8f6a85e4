"""Keeping validated uploads between two submits of the form, and starting a form from
an earlier generation (Remix) or one of its outputs (Edit this image)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from studio.core.media import extension_for

from .models import StagedUpload
from .validation import NormalisedImage, display_name

log = logging.getLogger("studio.uploads")

# Past this many staged files a user's oldest ones are dropped, so failed submits cannot
# fill the disk before the daily purge.
MAX_STAGED_PER_USER = 200


def stage(user, image: NormalisedImage, *, origin: str = "") -> StagedUpload:
    """Keep a validated, normalised image for `user` and return its row (with a token)."""
    staged = StagedUpload(
        user=user,
        origin=origin,
        media_type=image.media_type,
        width=image.width,
        height=image.height,
        bytes=len(image.content),
        original_name=image.name[:255],
    )
    staged.file.save(
        f"{staged.token}.{extension_for(image.media_type)}",
        ContentFile(image.content),
        save=True,
    )
    _trim(user)
    return staged


def _trim(user) -> None:
    old_ids = list(
        StagedUpload.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[MAX_STAGED_PER_USER:]
    )
    if old_ids:
        for row in StagedUpload.objects.filter(id__in=old_ids):
            row.delete()


def resolve(user, tokens: Iterable[str]) -> tuple[list[StagedUpload], list[str]]:
    """The user's own staged uploads for `tokens`, in the order given, and the tokens that
    did not resolve (expired, mistyped or someone else's: all look the same)."""
    wanted = [t for t in dict.fromkeys(t.strip() for t in tokens if t and t.strip())]
    if not wanted:
        return [], []
    if user is None or not user.is_authenticated:
        return [], wanted
    found = {s.token: s for s in StagedUpload.objects.filter(user=user, token__in=wanted)}
    return [found[t] for t in wanted if t in found], [t for t in wanted if t not in found]


def read(staged: StagedUpload) -> bytes:
    with staged.file.open("rb") as fh:
        return fh.read()


def purge_stale(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete staged uploads (rows and files) older than `older_than`; returns how many."""
    cutoff = timezone.now() - older_than
    count = 0
    for row in StagedUpload.objects.filter(created_at__lt=cutoff).iterator():
        row.delete()  # one by one so the post_delete signal removes each file
        count += 1
    if count:
        log.info("purged %s stale staged uploads", count)
    return count


def _copy(
    user, field_file, *, origin: str, media_type: str, width, height, name: str
) -> StagedUpload:
    """A staged copy of a stored file; opening the same Remix link twice reuses it."""
    existing = StagedUpload.objects.filter(user=user, origin=origin).order_by("-created_at").first()
    if existing is not None and existing.file.storage.exists(existing.file.name):
        # Fresh again, so the daily purge does not take it from a form that is open.
        StagedUpload.objects.filter(pk=existing.pk).update(created_at=timezone.now())
        return existing
    with field_file.open("rb") as fh:
        content = fh.read()
    return stage(
        user,
        NormalisedImage(
            content=content,
            media_type=media_type,
            width=width or 0,
            height=height or 0,
            name=display_name(name),
        ),
        origin=origin,
    )


def _settings_of(generation) -> dict[str, Any]:
    return {
        "type": generation.type,
        "aspect_ratio": generation.aspect_ratio,
        "style": generation.style,
        "model": generation.model,
        "output_format": generation.output_format,
    }


def _may_share_with(user, team) -> bool:
    return team is not None and team.can_share(user)


def stage_from_generation(user, generation) -> dict[str, Any]:
    """Initial data for GenerationForm that repeats `generation` (Remix): every setting,
    and staged copies of its input files. The caller checks that `user` may see it."""
    initial: dict[str, Any] = {
        "prompt": generation.prompt,
        "web_search": generation.web_search,
        **_settings_of(generation),
        "kept_ref": [],
        "image_ref_url": "",
    }
    if _may_share_with(user, generation.team):
        initial["team"] = generation.team_id
    ref_urls: list[str] = []
    for ref in generation.inputs.all():
        if ref.url:
            if ref.role == "source":
                initial["source_url"] = ref.url
            else:
                ref_urls.append(ref.url)
            continue
        if not ref.file:
            continue
        try:
            staged = _copy(
                user,
                ref.file,
                origin=f"input:{ref.pk}",
                media_type=ref.media_type,
                width=ref.width,
                height=ref.height,
                name=ref.original_name or PurePosixPath(ref.file.name).name,
            )
        except OSError:
            log.warning("could not copy input %s of generation %s", ref.pk, generation.pk)
            continue
        if ref.role == "source":
            initial["kept_source"] = staged.token
        else:
            initial["kept_ref"].append(staged.token)
    initial["image_ref_url"] = "\n".join(ref_urls)
    return initial


def stage_output_as_source(user, output) -> dict[str, Any]:
    """Initial data for GenerationForm that edits `output` (Edit this image): the output as
    the kept source and the settings of the generation that made it."""
    generation = output.generation
    ext = extension_for(output.media_type, "png")
    staged = _copy(
        user,
        output.file,
        origin=f"output:{output.pk}",
        media_type=output.media_type,
        width=output.width,
        height=output.height,
        name=f"studio-{generation.pk}-{output.position + 1}.{ext}",
    )
    return {
        **_settings_of(generation),
        "type": "image_edit",
        "kept_source": staged.token,
        "kept_ref": [],
    }
