"""The simulator's checks of a POSTed generation, in the provider's words and statuses."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from studio.upstream import facts

from .plumbing import ApiError


def validate(body: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """The fields of a SimulatedJob, and the decoded inline source (for an edit).

    400 for a wrong type or value, 422 for a rejected combination or bad media data, 413
    for media over the size limit (each inline image may be at most 50 MB decoded, as the
    provider documents). Unknown fields are ignored. The checks run in the order of the
    fields below, so the first problem found is the one reported.
    """
    fields: dict[str, Any] = {"prompt": _prompt(body.get("prompt"))}
    for name, allowed, default in [
        ("type", facts.TYPES, "image"),
        ("aspect_ratio", facts.ASPECT_RATIOS, "1:1"),
        ("style", facts.STYLES, "auto"),
        ("model", facts.MODELS, "uni-1"),
        ("output_format", facts.OUTPUT_FORMATS, "png"),
    ]:
        fields[name] = _choice(name, body.get(name), allowed, default)
    fields["web_search"] = _web_search(body.get("web_search"))
    fields["user_id"] = _user_id(body.get("user_id"))
    fields["image_ref"] = _image_refs(body.get("image_ref"), fields["type"])

    source = body.get("source")
    source_bytes = None
    if source is not None:
        fields["source"], source_bytes = _image("source", source)
    elif fields["type"] == "image_edit":
        raise ApiError(422, "source: required when type is image_edit")
    return fields, source_bytes


def _prompt(prompt: Any) -> str:
    if prompt is None:
        raise ApiError(400, "prompt: field required")
    if not isinstance(prompt, str):
        raise ApiError(400, "prompt: must be a string")
    if not 1 <= len(prompt) <= facts.PROMPT_MAX_CHARS:
        raise ApiError(
            400,
            f"prompt: must be 1 to {facts.PROMPT_MAX_CHARS} characters (got {len(prompt)})",
        )
    return prompt


def _choice(name: str, value: Any, allowed: list[str], default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise ApiError(400, f"{name}: must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _web_search(value: Any) -> bool:
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, "web_search: must be a boolean")
    return bool(value)


def _user_id(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "user_id: must be a string")
    if value is not None and len(value) > 200:
        raise ApiError(400, "user_id: must be at most 200 characters")
    return value or ""


def _image_refs(refs: Any, type_: str) -> list[dict[str, Any]]:
    """Descriptions of the reference images, within the array's limit and the type's."""
    if refs is None:
        refs = []
    if not isinstance(refs, list):
        raise ApiError(400, "image_ref: must be an array")
    if len(refs) > facts.MAX_REFS["image"]:
        raise ApiError(
            400, f"image_ref: at most {facts.MAX_REFS['image']} images (got {len(refs)})"
        )
    limit = facts.MAX_REFS[type_]
    if len(refs) > limit:
        # Within the array's own limit, but the edit's source takes one slot.
        raise ApiError(
            422,
            f"image_ref: at most {limit} images with type {type_} "
            f"(the source takes a slot; got {len(refs)})",
        )
    return [_image(f"image_ref[{i}]", item)[0] for i, item in enumerate(refs)]


def _image(where: str, item: Any) -> tuple[dict[str, Any], bytes | None]:
    """Validate one image object; return its description and decoded inline data."""
    if not isinstance(item, dict):
        raise ApiError(400, f"{where}: must be an object with url, or data and media_type")
    url, data, media_type = item.get("url"), item.get("data"), item.get("media_type")
    for name, value in [("url", url), ("data", data), ("media_type", media_type)]:
        if value is not None and not isinstance(value, str):
            raise ApiError(400, f"{where}.{name}: must be a string")
    if url and data:
        raise ApiError(422, f"{where}: provide either url or data, not both")
    if url:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ApiError(422, f"{where}.url: must be an http(s) URL")
        return {"url": url}, None
    decoded = _inline_data(where, data, media_type)
    return {"media_type": media_type, "bytes": len(decoded)}, decoded


def _inline_data(where: str, data: str | None, media_type: str | None) -> bytes:
    """The decoded bytes of an inline image: a known media type and at most 50 MB."""
    if not data:
        raise ApiError(422, f"{where}: provide either url or data with media_type")
    if not media_type:
        raise ApiError(422, f"{where}.media_type: required with data")
    if media_type not in facts.INLINE_MEDIA_TYPES:
        raise ApiError(
            422,
            f"{where}.media_type: must be one of {', '.join(facts.INLINE_MEDIA_TYPES)} "
            f"(got {media_type!r})",
        )
    compact = "".join(data.split())  # line breaks (MIME-style base64) are harmless
    # Check the size before decoding, so a huge payload costs no decode.
    padding = len(compact) - len(compact.rstrip("="))
    decoded_size = len(compact) // 4 * 3 - padding
    if decoded_size > facts.INLINE_MAX_BYTES:
        raise ApiError(
            413,
            f"{where}: image is {decoded_size} bytes, over the "
            f"{facts.INLINE_MAX_BYTES // (1024 * 1024)} MB limit",
        )
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"{where}.data: invalid base64 data") from None
