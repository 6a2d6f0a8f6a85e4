"""Keeping a finished job's images: verify each download with Pillow, store it and a WebP
thumbnail for the gallery, and remove files whose rows are gone."""

from __future__ import annotations

import hashlib
import logging
import threading
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps, UnidentifiedImageError

from studio.core.files import delete_files
from studio.core.media import extension_for, media_type_for_pil

from . import provenance
from .models import Generation, Output

log = logging.getLogger("studio.generations")

# What the provider may send back: its output formats are PNG and JPEG only.
OUTPUT_MEDIA_TYPES = ("image/png", "image/jpeg")

# Decoding a 2048-px output holds ~13 MB of pixels and a CPU for a fraction of a second:
# downloads may run many at once, decodes only this many (more would not finish sooner on
# our CPUs, and each one more is that much more memory). See docs/benchmarks.md.
_decodes = threading.BoundedSemaphore(settings.PIPELINE_DECODES)


class OutputInvalid(Exception):
    pass


def store_output(gen: Generation, position: int, fh) -> Output:
    """Verify a downloaded image with Pillow, keep it and a WebP thumbnail.

    `fh` is the spooled download: it is read by Pillow and copied to storage as a file,
    never held whole in memory as bytes. The Output is returned unsaved, so the caller
    can replace a row's outputs in one transaction.
    """
    fmt, (width, height), thumbnail = _verify_and_thumbnail(fh)
    media_type = media_type_for_pil(fmt)
    if media_type not in OUTPUT_MEDIA_TYPES:
        raise OutputInvalid(f"the output is a {fmt} image, expected PNG or JPEG")
    size = fh.seek(0, 2)
    fh.seek(0)
    digest = hashlib.file_digest(fh, "sha256").hexdigest()
    marked = provenance.has_c2pa(fh)
    out = Output(
        generation=gen,
        position=position,
        media_type=media_type,
        width=width,
        height=height,
        bytes=size,
        sha256=digest,
        c2pa=marked,
    )
    out.file.save(f"{gen.pk}-{position}.{extension_for(media_type)}", File(fh), save=False)
    try:
        out.thumbnail.save(f"{gen.pk}-{position}.webp", ContentFile(thumbnail), save=False)
    except BaseException:
        # Disk full, an S3 5xx: the original must not stay behind without its row.
        delete_files([out.file.name])
        raise
    return out


def _verify_and_thumbnail(fh) -> tuple[str | None, tuple[int, int], bytes]:
    """The image's Pillow format, its size and a WebP thumbnail; OutputInvalid if the bytes
    are not a whole, decodable image."""
    try:
        fh.seek(0)
        with Image.open(fh) as probe:
            probe.verify()
        # verify() checks the chunks' checksums without decoding, and leaves the image
        # unusable: open it again to decode it (whole: a truncated image fails here).
        fh.seek(0)
        with _decodes, Image.open(fh) as img:
            img.load()
            return img.format, img.size, _thumbnail(img)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        # The reason is shown on the card: a sentence for people, never Pillow's message
        # (which names Python objects); the log keeps the technical one.
        log.warning("output rejected by Pillow: %r", exc)
        raise OutputInvalid(_unreadable_reason(exc)) from exc


def _unreadable_reason(exc: Exception) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return "the image the provider sent is too large to open safely"
    if isinstance(exc, UnidentifiedImageError):
        return "the file the provider sent is not an image"
    return "the image the provider sent is damaged or incomplete"


def _thumbnail(img: Image.Image) -> bytes:
    """A WebP of at most THUMBNAIL_SIZE px, the right way up. Shrinks `img` in place.

    Shrunk first (`reduce()` by whole factors down to twice the size, then resampled), and
    only then turned by its EXIF orientation: turning the full image first would copy all
    its pixels. WebP `method=1`: at this size a slower method saves a few KB and costs a
    tenth of a second per image (much more on noisy images).
    """
    img.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE), reducing_gap=2.0)
    thumb = ImageOps.exif_transpose(img)
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
    buf = BytesIO()
    thumb.save(buf, "WEBP", quality=82, method=1)
    return buf.getvalue()
