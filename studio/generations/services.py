"""Multi-step rules for generations: creating them, moving them along, keeping outputs."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from studio.accounts.models import upstream_user_id_for
from studio.upstream import facts

from . import queue
from .models import IN_FLIGHT, Generation, Output, Reference, State

log = logging.getLogger("studio.generations")

PARAM_FIELDS = ["prompt", "type", "aspect_ratio", "style", "model", "output_format", "web_search"]


def now_iso() -> str:
    return timezone.now().isoformat(timespec="seconds")


def create_generation(
    *,
    user,
    data: dict[str, Any],
    inputs: Iterable[dict[str, Any]] = (),
    team=None,
    retry_of: Generation | None = None,
) -> Generation:
    """Save a generation with its inputs and hand it to the worker once committed.

    `inputs` are dicts with `role` ("source"/"reference") and either `content` (bytes of an
    already validated image, with `media_type`, `width`, `height`, `name`) or `url`.
    """
    inputs = list(inputs)
    ref_count = sum(1 for i in inputs if i["role"] == Reference.Role.REFERENCE)
    with transaction.atomic():
        gen = Generation.objects.create(
            user=user,
            team=team,
            retry_of=retry_of,
            estimated_price=facts.estimate_price(
                model=data["model"], type=data["type"], ref_count=ref_count
            ),
            history=[{"state": State.PENDING, "at": now_iso()}],
            **{f: data[f] for f in PARAM_FIELDS},
        )
        positions = {Reference.Role.SOURCE: 0, Reference.Role.REFERENCE: 0}
        for item in inputs:
            role = item["role"]
            ref = Reference(
                generation=gen,
                role=role,
                position=positions[role],
                url=item.get("url", ""),
                media_type=item.get("media_type", ""),
                width=item.get("width"),
                height=item.get("height"),
                original_name=item.get("name", "")[:255],
            )
            positions[role] += 1
            if item.get("content") is not None:
                ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(
                    ref.media_type, "bin"
                )
                ref.bytes = len(item["content"])
                ref.file.save(
                    f"{gen.pk}-{role}-{ref.position}.{ext}",
                    ContentFile(item["content"]),
                    save=False,
                )
            ref.save()
        transaction.on_commit(lambda: queue.enqueue("submit", gen.pk))
    log.info("generation %s created by user %s", gen.pk, user.pk)
    return gen


def request_body(gen: Generation) -> dict[str, Any]:
    """The POST /generations body for a row: every parameter, named as in the API."""
    body: dict[str, Any] = {f: getattr(gen, f) for f in PARAM_FIELDS}
    body["user_id"] = upstream_user_id_for(gen.user)
    refs = []
    for ref in gen.inputs.all():
        item = _image_item(ref)
        if ref.role == Reference.Role.SOURCE:
            body["source"] = item
        else:
            refs.append(item)
    if refs:
        body["image_ref"] = refs
    return body


def _image_item(ref: Reference) -> dict[str, str]:
    if ref.url:
        return {"url": ref.url}
    with ref.file.open("rb") as fh:
        data = fh.read()
    return {"data": base64.b64encode(data).decode("ascii"), "media_type": ref.media_type}


# --- state changes --------------------------------------------------------------------


def note_request(gen: Generation, method: str, request_id: str, status: int | None) -> None:
    gen.request_ids = (
        gen.request_ids
        + [{"method": method, "request_id": request_id, "status": status, "at": now_iso()}]
    )[-50:]


def set_state(gen: Generation, state: str) -> None:
    if gen.state != state:
        gen.state = state
        gen.history = gen.history + [{"state": state, "at": now_iso()}]


def fail(gen: Generation, code: str, reason: str) -> None:
    """End a row in failure, keeping the code and reason exactly as given."""
    set_state(gen, State.FAILED)
    gen.failure_code = code
    gen.failure_reason = reason
    gen.completed_at = timezone.now()
    gen.next_attempt_at = None
    log.info("generation %s failed: %s: %s", gen.pk, code, reason)


# --- outputs -------------------------------------------------------------------------

OUTPUT_MEDIA_TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}


class OutputInvalid(Exception):
    pass


def store_output(gen: Generation, position: int, fh) -> Output:
    """Verify a downloaded image with Pillow, keep it and a WebP thumbnail.

    `fh` is the spooled download: it is read by Pillow and copied to storage as a file,
    never held whole in memory as bytes.
    """
    try:
        fh.seek(0)
        with Image.open(fh) as probe:
            probe.verify()
        fh.seek(0)
        with Image.open(fh) as img:
            fmt = img.format
            img.load()
            width, height = img.size
            thumb = ImageOps.exif_transpose(img)
            thumb.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
            if thumb.mode not in ("RGB", "RGBA"):
                thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
            thumb_buf = BytesIO()
            thumb.save(thumb_buf, "WEBP", quality=82, method=4)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise OutputInvalid(f"the output is not a valid image ({exc})") from exc
    if fmt not in OUTPUT_MEDIA_TYPES:
        raise OutputInvalid(f"the output is a {fmt} image, expected PNG or JPEG")
    media_type, ext = OUTPUT_MEDIA_TYPES[fmt]
    size = fh.seek(0, 2)
    fh.seek(0)
    out = Output(
        generation=gen,
        position=position,
        media_type=media_type,
        width=width,
        height=height,
        bytes=size,
    )
    out.file.save(f"{gen.pk}-{position}.{ext}", File(fh), save=False)
    out.thumbnail.save(f"{gen.pk}-{position}.webp", ContentFile(thumb_buf.getvalue()), save=False)
    return out


def delete_files(names: Iterable[str]) -> None:
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except OSError:
                log.warning("could not delete %s", name)


def in_flight_count() -> int:
    return Generation.objects.filter(state__in=IN_FLIGHT).count()


# --- actions ---------------------------------------------------------------------------


def inputs_of(gen: Generation) -> list[dict[str, Any]]:
    """A generation's inputs in the shape create_generation takes, for Retry."""
    items: list[dict[str, Any]] = []
    for ref in gen.inputs.all():
        item: dict[str, Any] = {"role": ref.role, "name": ref.original_name}
        if ref.url:
            item["url"] = ref.url
        else:
            with ref.file.open("rb") as fh:
                item["content"] = fh.read()
            item.update(media_type=ref.media_type, width=ref.width, height=ref.height)
        items.append(item)
    return items


def retry_generation(gen: Generation) -> Generation:
    """A new generation with the same inputs; the failed one stays as it was."""
    return create_generation(
        user=gen.user,
        data={f: getattr(gen, f) for f in PARAM_FIELDS},
        inputs=inputs_of(gen),
        team=gen.team,
        retry_of=gen,
    )


def delete_generation(gen: Generation) -> None:
    """Delete the row; its files go with it once committed (see signals.py)."""
    gen.delete()


def download_stem(gen: Generation) -> str:
    """A readable file name: the first words of the prompt and the id."""
    from django.utils.text import slugify

    words = slugify(gen.prompt)[:40].strip("-") or "image"
    return f"studio-{gen.pk}-{words}"
