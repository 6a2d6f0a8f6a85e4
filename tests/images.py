"""The one helper that makes test images: small, in memory, in any Pillow format."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 30, 60), **save) -> bytes:
    """A plain `size` image of `color`, encoded as `fmt` (extra `save` options to Pillow)."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt, **save)
    return buf.getvalue()
