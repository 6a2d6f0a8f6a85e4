"""Image files for upload tests, built in memory and small enough to keep tests fast."""

from __future__ import annotations

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from studio.uploads import staging
from studio.uploads.models import StagedUpload
from studio.uploads.validation import NormalisedImage
from tests.images import image_bytes as image_bytes  # the one image helper


def noisy_jpeg(size=(160, 120)) -> bytes:
    """A JPEG with real entropy, so cutting it leaves out most of the scan data."""
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    data = noisy_jpeg()
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels (1-bit grey) but carries a few rows of data:
    a decompression bomb's header in a few hundred bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    )


def corrupt_png() -> bytes:
    """A real PNG whose compressed pixel data has been overwritten."""
    data = bytearray(image_bytes("PNG", size=(64, 64)))
    start = data.index(b"IDAT") + 4
    for i in range(start + 2, start + 30):
        data[i] = 0xFF
    return bytes(data)


def jpeg_with_metadata() -> bytes:
    """40×20 stored (left half red, right half blue), EXIF orientation 6 (shown rotated
    90° clockwise, so it displays 20×40 with red on top), a GPS position, a camera maker
    and a JPEG comment."""
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.0), 3: "E", 4: (4.0, 53.0, 2.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), comment=b"my home address", quality=95)
    return buf.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_upload(name: str = "ref.png", size=(64, 48), color=(200, 30, 60)) -> SimpleUploadedFile:
    return upload(name, image_bytes("PNG", size=size, color=color))


def staged_for(user, name="kept.png", color=(1, 2, 3)) -> StagedUpload:
    """A small PNG kept for `user` as a failed form's upload would be."""
    content = image_bytes("PNG", size=(32, 16), color=color)
    return staging.stage(user, NormalisedImage(content, "image/png", 32, 16, name))
