"""The one table of image media types the studio handles: extension and Pillow format."""

from __future__ import annotations

from typing import NamedTuple


class ImageType(NamedTuple):
    media_type: str
    extension: str
    pil_format: str


IMAGE_TYPES: dict[str, ImageType] = {
    t.media_type: t
    for t in (
        ImageType("image/png", "png", "PNG"),
        ImageType("image/jpeg", "jpg", "JPEG"),
        ImageType("image/webp", "webp", "WEBP"),
    )
}
BY_PIL_FORMAT: dict[str, ImageType] = {t.pil_format: t for t in IMAGE_TYPES.values()}


def extension_for(media_type: str, default: str = "bin") -> str:
    """The file extension stored files of this media type get (`image/jpeg` -> `jpg`)."""
    found = IMAGE_TYPES.get(media_type)
    return found.extension if found else default


def media_type_for_pil(pil_format: str | None) -> str | None:
    """The media type of a Pillow format name (`PNG` -> `image/png`), None if unknown."""
    found = BY_PIL_FORMAT.get(pil_format or "")
    return found.media_type if found else None
