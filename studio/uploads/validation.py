"""Checking and normalising uploaded images before anything keeps or sends them.

The browser's checks are a convenience; this is the gate. Every upload is opened with
Pillow restricted to the provider's safe set (JPEG, PNG, WebP), its size is checked from the
header before any pixel is decoded, it is fully decoded (so truncated or corrupt data is
caught here rather than by the provider), turned upright from its EXIF orientation and
re-encoded without any metadata (no GPS position, camera serial or comments leave the
studio).
"""

from __future__ import annotations

import os
import unicodedata
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from studio.core.media import BY_PIL_FORMAT, IMAGE_TYPES
from studio.upstream import facts

PIL_FORMATS = [t.pil_format for t in IMAGE_TYPES.values()]
JPEG_QUALITY = 92
WEBP_QUALITY = 90

# Only to read the size of an image Pillow refused to open as a decompression bomb.
_HEADER_READERS = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}


@dataclass(frozen=True)
class NormalisedImage:
    content: bytes
    media_type: str
    width: int
    height: int
    name: str


def display_name(name: str | None) -> str:
    """The file's own name without any path, control characters or excess length."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200] or "upload"


def human_bytes(n: int) -> str:
    mb = 1024 * 1024
    if n >= mb:
        value, unit = n / mb, "MB"
    elif n >= 1024:
        value, unit = n / 1024, "KB"
    else:
        return f"{n:,} bytes"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def _error(name: str, why: str, code: str) -> ValidationError:
    return ValidationError(f"“{name}”: {why}", code=code)


def _too_many_pixels(name: str, width: int | None, height: int | None, limit: int):
    size = f"{width:,}×{height:,} pixels" if width and height else "the image"
    return _error(name, f"{size} is over the {limit:,}-pixel limit.", "too_many_pixels")


def _header_size(data: bytes) -> tuple[int, int] | None:
    for reader in _HEADER_READERS.values():
        try:
            return reader(BytesIO(data)).size
        except Exception:  # noqa: BLE001 - any failure just means "not this format"
            continue
    return None


def normalise_upload(upload: IO[bytes], name: str | None = None) -> NormalisedImage:
    """Validate one uploaded file and return it upright, metadata-free, in its own format.

    Raises ValidationError with a message that names the file and says what is wrong.
    """
    name = display_name(name if name is not None else getattr(upload, "name", ""))
    max_pixels = settings.UPLOAD_MAX_PIXELS
    data = _read_capped(upload, name, settings.UPLOAD_MAX_BYTES)

    with _open_image(data, name, max_pixels) as img:
        # Phones save JPEGs with extra pictures (depth maps, previews) that Pillow calls
        # MPO; they are JPEGs, and only the main picture is kept.
        fmt = "JPEG" if img.format == "MPO" else (img.format or "")
        width, height = img.size
        # The header is trusted for nothing but this check, done before any decoding.
        if width * height > max_pixels:
            raise _too_many_pixels(name, width, height, max_pixels)
        try:
            img.load()
        except Exception as exc:  # noqa: BLE001 - decoders raise many kinds of error
            raise _error(name, "the image data is truncated or corrupt.", "corrupt") from exc
        # In place: a 12 MP photo is ~48 MB decoded, and every copy costs that again.
        ImageOps.exif_transpose(img, in_place=True)
        content = _encode_clean(img, fmt)
        out_w, out_h = img.size

    if len(content) > facts.INLINE_MAX_BYTES:
        raise _error(
            name,
            f"once cleaned it is {human_bytes(len(content))}, over the provider's "
            f"{human_bytes(facts.INLINE_MAX_BYTES)} limit.",
            "too_big",
        )
    # Only the table's formats are opened, so `fmt` is always in it.
    return NormalisedImage(
        content=content,
        media_type=BY_PIL_FORMAT[fmt].media_type,
        width=out_w,
        height=out_h,
        name=name,
    )


def _read_capped(upload: IO[bytes], name: str, max_bytes: int) -> bytes:
    """The whole file, refused when over `max_bytes` (declared or read) or empty."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _error(
            name, f"{human_bytes(size)} is over the {human_bytes(max_bytes)} limit.", "too_big"
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    # Read one byte past the limit so a file without a trustworthy size is still capped.
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _error(name, f"the file is over the {human_bytes(max_bytes)} limit.", "too_big")
    if not data:
        raise _error(name, "the file is empty.", "empty")
    return data


def _open_image(data: bytes, name: str, max_pixels: int) -> Image.Image:
    """Open (read the header of) a JPEG, PNG or WebP, turning Pillow's errors into ours."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(BytesIO(data), formats=PIL_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard fired while reading the header: report the real size.
        dims = _header_size(data) or (None, None)
        limit = min(max_pixels, Image.MAX_IMAGE_PIXELS) if Image.MAX_IMAGE_PIXELS else max_pixels
        raise _too_many_pixels(name, dims[0], dims[1], limit) from exc
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _error(
            name, "this file is not a JPEG, PNG or WebP image.", "unsupported_format"
        ) from exc


def _encode_clean(img: Image.Image, fmt: str) -> bytes:
    """Re-encode in the same format with none of the original's metadata.

    `img` is the caller's own decoded image: its `info` is cleared, not copied.
    """
    if "transparency" in img.info:
        img = img.convert("RGBA")
    img = _to_srgb(img)
    # Pillow copies some keys (ICC profile, transparency, text, EXIF) from `info` on save.
    img.info = {}
    buf = BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        img.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        if img.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img.save(buf, "PNG")
    return buf.getvalue()


def _to_srgb(img: Image.Image) -> Image.Image:
    """Bring pixels with an embedded colour profile (a phone's Display P3) into sRGB, since
    the profile itself is dropped with the rest of the metadata."""
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "RGBA"):
        return img
    try:
        # Here, not at the top: ImageCms needs LittleCMS, which a Pillow build may lack, and
        # then only this conversion is skipped (the ImportError is caught below).
        from PIL import ImageCms

        src = ImageCms.ImageCmsProfile(BytesIO(icc))
        converted = ImageCms.profileToProfile(
            img, src, ImageCms.createProfile("sRGB"), outputMode=img.mode
        )
    except Exception:  # noqa: BLE001 - a broken profile is dropped, not fatal
        return img
    return converted or img
