"""Starting the composer from earlier work: Remix repeats a generation (every setting and
copies of its input files), "Edit this image" edits one of its outputs.

The copies are staged uploads of the person asking, so the form treats them exactly like
files they uploaded themselves; the caller has already checked that they may see the
generation.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any

from django.utils import timezone

from studio.core.media import extension_for
from studio.uploads import staging
from studio.uploads.models import StagedUpload
from studio.uploads.validation import NormalisedImage, display_name
from studio.upstream import facts

from .models import Generation, Lineage, Output, Reference

log = logging.getLogger("studio.generations")


def remix(user, generation: Generation) -> dict[str, Any]:
    """Initial data for GenerationForm that repeats `generation` (Remix): every setting,
    and staged copies of its input files."""
    initial: dict[str, Any] = {
        "prompt": generation.prompt,
        "web_search": generation.web_search,
        **_settings_of(generation),
        "kept_ref": [],
        "image_ref_url": "",
        "derived_from": generation.pk,
        "derived_kind": Lineage.REMIX,
    }
    if _may_share_with(user, generation.team):
        initial["team"] = generation.team.slug
    ref_urls: list[str] = []
    for ref in generation.inputs.all():
        if ref.url:
            if ref.role == Reference.Role.SOURCE:
                initial["source_url"] = ref.url
            else:
                ref_urls.append(ref.url)
            continue
        if not ref.file:
            continue
        staged = _copy_input(user, ref)
        if staged is None:
            continue
        if ref.role == Reference.Role.SOURCE:
            initial["kept_source"] = staged.token
        else:
            initial["kept_ref"].append(staged.token)
    initial["image_ref_url"] = "\n".join(ref_urls)
    return initial


def settings_of(generation: Generation) -> dict[str, Any]:
    """Initial data with `generation`'s settings and not its prompt ("Use these settings")."""
    return {**_settings_of(generation), "web_search": generation.web_search}


def edit_output(user, output: Output) -> dict[str, Any]:
    """Initial data for GenerationForm that edits `output` (Edit this image): the output as
    the kept source and the settings of the generation that made it."""
    generation = output.generation
    staged = copy_output(user, output)
    return {
        **_settings_of(generation),
        "type": "image_edit",
        "kept_source": staged.token,
        "kept_ref": [],
        "derived_from": generation.pk,
        "derived_kind": Lineage.EDIT,
    }


def copy_output(user, output: Output) -> StagedUpload:
    """`output` as one of `user`'s staged uploads: the source of "Edit this image", or a
    kept reference ("Use as reference"). Asked twice, the same copy."""
    ext = extension_for(output.media_type, "png")
    name = f"studio-{output.generation_id}-{output.position + 1}.{ext}"
    return _copy(user, output, origin=f"output:{output.pk}", name=name)


def reference_refusal(*, type_: str, given: int) -> str:
    """Why one more reference cannot join a form that holds `given` for `type_`, or ""."""
    limit = facts.MAX_REFS.get(type_, facts.MAX_REFS["image"])
    if given < limit:
        return ""
    when = "to generate" if type_ != "image_edit" else "when editing (the source takes one)"
    return (
        f"The form already has {given} reference images, the most that can be used {when}: "
        "remove one to add this image."
    )


def _settings_of(generation: Generation) -> dict[str, Any]:
    return {
        "type": generation.type,
        "aspect_ratio": generation.aspect_ratio,
        "style": generation.style,
        "model": generation.model,
        "output_format": generation.output_format,
    }


def _may_share_with(user, team) -> bool:
    return team is not None and team.can_share(user)


def _copy_input(user, ref: Reference) -> StagedUpload | None:
    """A staged copy of an input file, or None when its file cannot be read."""
    name = ref.original_name or PurePosixPath(ref.file.name).name
    try:
        return _copy(user, ref, origin=f"input:{ref.pk}", name=name)
    except OSError:
        log.warning("could not copy input %s of generation %s", ref.pk, ref.generation_id)
        return None


def _copy(user, image: Reference | Output, *, origin: str, name: str) -> StagedUpload:
    """A staged copy of an input's or output's file; opening the same Remix link twice
    reuses it."""
    existing = StagedUpload.objects.filter(user=user, origin=origin).order_by("-created_at").first()
    if existing is not None and existing.file.storage.exists(existing.file.name):
        # Fresh again, so the purge of stale uploads does not take it from a form that is open.
        StagedUpload.objects.filter(pk=existing.pk).update(created_at=timezone.now())
        return existing
    with image.file.open("rb") as fh:
        content = fh.read()
    return staging.stage(
        user,
        NormalisedImage(
            content=content,
            media_type=image.media_type,
            width=image.width or 0,
            height=image.height or 0,
            name=display_name(name),
        ),
        origin=origin,
    )
