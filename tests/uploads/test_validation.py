import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from studio.uploads.validation import human_bytes, normalise_upload

from .helpers import (
    corrupt_png,
    image_bytes,
    jpeg_with_metadata,
    noisy_jpeg,
    png_header_only,
    truncated_jpeg,
    upload,
)


def error_of(f) -> str:
    with pytest.raises(ValidationError) as info:
        normalise_upload(f)
    return " ".join(info.value.messages)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any pixel data is decoded."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("pixel data was decoded before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_text_file_named_png_is_rejected_by_name():
    message = error_of(upload("cat.png", b"just some notes, not an image\n" * 20, "image/png"))
    assert message == "“cat.png”: this file is not a JPEG, PNG or WebP image."


def test_formats_outside_the_safe_set_are_rejected():
    message = error_of(upload("anim.gif", image_bytes("GIF"), "image/gif"))
    assert message == "“anim.gif”: this file is not a JPEG, PNG or WebP image."
    assert "not a JPEG, PNG or WebP" in error_of(upload("old.bmp", image_bytes("BMP")))


def test_empty_file_is_rejected():
    assert error_of(upload("empty.png", b"")) == "“empty.png”: the file is empty."


def test_truncated_jpeg_is_an_error():
    message = error_of(upload("cut.jpg", truncated_jpeg(), "image/jpeg"))
    assert message == "“cut.jpg”: the image data is truncated or corrupt."


def test_corrupt_pixel_data_is_an_error():
    message = error_of(upload("broken.png", corrupt_png()))
    assert message == "“broken.png”: the image data is truncated or corrupt."


def test_bomb_header_is_rejected_without_decoding(no_decoding):
    data = png_header_only(40000, 40000)
    assert len(data) < 4096
    message = error_of(upload("huge.png", data))
    assert message == "“huge.png”: 40,000×40,000 pixels is over the 40,000,000-pixel limit."


def test_pixel_limit_is_checked_from_the_header_below_pillows_own_guard(settings, no_decoding):
    settings.UPLOAD_MAX_PIXELS = 1000
    message = error_of(upload("wide.png", image_bytes("PNG", size=(100, 20))))
    assert message == "“wide.png”: 100×20 pixels is over the 1,000-pixel limit."


def test_pillow_bomb_warning_range_is_rejected(settings, no_decoding):
    # Over Pillow's warning threshold (~89 Mpx) but under its error threshold.
    settings.UPLOAD_MAX_PIXELS = 10**9
    message = error_of(upload("big.png", png_header_only(10000, 10000)))
    assert "10,000×10,000 pixels is over the" in message


def test_byte_limit(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    f = upload("big.jpg", b"\xff" * (3 * 1024 * 1024 + 300 * 1024), "image/jpeg")
    assert error_of(f) == "“big.jpg”: 3.3 MB is over the 2 MB limit."


def test_byte_limit_holds_when_the_upload_lies_about_its_size(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    f = upload("sneaky.jpg", noisy_jpeg(), "image/jpeg")
    f.size = 10
    assert error_of(f) == "“sneaky.jpg”: the file is over the 1,000 bytes limit."


def test_names_lose_paths_and_control_characters():
    message = error_of(upload("..\\..\\etc/evil\x07.png", b"nope"))
    assert message.startswith("“evil.png”:")


def test_exif_orientation_is_applied_and_metadata_stripped():
    original = jpeg_with_metadata()
    assert b"SecretCam" in original and b"my home address" in original
    result = normalise_upload(upload("photo.jpg", original, "image/jpeg"))
    assert result.media_type == "image/jpeg"
    assert (result.width, result.height) == (20, 40)
    assert b"SecretCam" not in result.content
    assert b"my home address" not in result.content
    assert b"Exif" not in result.content
    with Image.open(io.BytesIO(result.content)) as img:
        assert img.format == "JPEG"
        assert img.size == (20, 40)
        assert len(img.getexif()) == 0
        assert "comment" not in img.info and "exif" not in img.info
        img = img.convert("RGB")
        top, bottom = img.getpixel((10, 5)), img.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60  # the stored left half (red) is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_png_stays_png_without_text_chunks_or_profile():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Private")
    buf = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGBA", (30, 10), (10, 200, 10, 128)).save(buf, "PNG", pnginfo=info, icc_profile=srgb)
    result = normalise_upload(upload("logo.png", buf.getvalue()))
    assert result.media_type == "image/png" and (result.width, result.height) == (30, 10)
    assert b"Jane Private" not in result.content
    with Image.open(io.BytesIO(result.content)) as img:
        assert img.format == "PNG" and img.mode == "RGBA"
        assert "icc_profile" not in img.info and "Author" not in img.info
        assert img.getpixel((0, 0)) == (10, 200, 10, 128)


def test_webp_stays_webp():
    result = normalise_upload(upload("pic.webp", image_bytes("WEBP"), "image/webp"))
    assert result.media_type == "image/webp"
    with Image.open(io.BytesIO(result.content)) as img:
        assert img.format == "WEBP" and img.size == (64, 48)


def test_cmyk_jpeg_becomes_rgb():
    buf = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(buf, "JPEG")
    result = normalise_upload(upload("print.jpg", buf.getvalue(), "image/jpeg"))
    with Image.open(io.BytesIO(result.content)) as img:
        assert img.mode == "RGB"


def test_human_bytes():
    assert human_bytes(20 * 1024 * 1024) == "20 MB"
    assert human_bytes(int(25.3 * 1024 * 1024)) == "25.3 MB"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(12) == "12 bytes"


def test_a_phone_jpeg_with_several_pictures_becomes_a_plain_jpeg():
    buf = io.BytesIO()
    main, extra = Image.new("RGB", (32, 24), (255, 0, 0)), Image.new("RGB", (8, 6), (0, 0, 255))
    main.save(buf, "MPO", save_all=True, append_images=[extra])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    result = normalise_upload(upload("phone.jpg", buf.getvalue(), "image/jpeg"))
    assert result.media_type == "image/jpeg" and (result.width, result.height) == (32, 24)
    with Image.open(io.BytesIO(result.content)) as img:
        assert img.format == "JPEG" and getattr(img, "n_frames", 1) == 1
