"""Simulator images: right size and format, and visibly tied to the request."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageChops, ImageStat

from studio.simulator import render
from studio.upstream import facts

SMALL = 256  # most checks do not need 2048 px


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def saturation(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("HSV").getchannel("S")).mean[0]


@pytest.mark.parametrize(
    ("aspect_ratio", "size"),
    [
        ("3:1", (2048, 683)),
        ("2:1", (2048, 1024)),
        ("16:9", (2048, 1152)),
        ("3:2", (2048, 1365)),
        ("1:1", (2048, 2048)),
        ("2:3", (1365, 2048)),
        ("9:16", (1152, 2048)),
        ("1:2", (1024, 2048)),
        ("1:3", (683, 2048)),
    ],
)
def test_output_size_has_2048_on_the_long_side(aspect_ratio, size):
    assert render.output_size(aspect_ratio) == size


def test_every_documented_aspect_ratio_has_a_size():
    for ratio in facts.ASPECT_RATIOS:
        assert max(render.output_size(ratio)) == facts.OUTPUT_LONG_SIDE


@pytest.mark.parametrize(
    ("aspect_ratio", "output_format", "size", "pil_format"),
    [
        ("1:1", "png", (2048, 2048), "PNG"),
        ("3:1", "jpeg", (2048, 683), "JPEG"),
        ("9:16", "png", (1152, 2048), "PNG"),
    ],
)
def test_full_size_render_has_the_requested_size_and_format(
    aspect_ratio, output_format, size, pil_format
):
    data = render.render_image(
        prompt="A lighthouse at dusk", aspect_ratio=aspect_ratio, output_format=output_format
    )
    image = decode(data)
    assert image.format == pil_format
    assert image.size == size
    assert image.mode == "RGB"


@pytest.mark.parametrize("style", ["auto", "manga"])
def test_2048_png_renders_fast(style):
    started = time.perf_counter()
    data = render.render_image(prompt="speed " * 200, aspect_ratio="1:1", style=style)
    elapsed = time.perf_counter() - started
    assert decode(data).size == (2048, 2048)
    assert elapsed < 2.0


def test_prompt_changes_the_image():
    a = decode(render.render_image(prompt="a red fox in snow", long_side=SMALL))
    b = decode(render.render_image(prompt="a blue whale at sea", long_side=SMALL))
    assert difference(a, b) > 20


def test_same_request_renders_the_same_image():
    a = render.render_image(prompt="stable", long_side=SMALL)
    assert render.render_image(prompt="stable", long_side=SMALL) == a


def test_manga_is_black_and_white_ink_unlike_auto():
    prompt = "a samurai on a rooftop"
    auto = decode(render.render_image(prompt=prompt, style="auto", long_side=SMALL))
    manga = decode(render.render_image(prompt=prompt, style="manga", long_side=SMALL))

    assert difference(auto, manga) > 20
    assert saturation(auto) > 40
    assert saturation(manga) == 0  # no colour at all
    # Ink on paper: nearly every pixel is black or white (screentone, not grey shades).
    histogram = manga.convert("L").histogram()
    assert (histogram[0] + histogram[255]) / sum(histogram) > 0.9


def test_edit_builds_on_the_source_image():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (0, 200, 0)).save(buffer, "JPEG")
    source = buffer.getvalue()

    edited = decode(render.render_image(prompt="make it pop", source=source, long_side=SMALL))
    plain = decode(render.render_image(prompt="make it pop", long_side=SMALL))

    # The green source dominates the edit, tinted but still recognisable.
    red, green, blue = ImageStat.Stat(edited).mean
    assert green > red and green > blue
    assert difference(edited, plain) > 20


def test_undecodable_source_falls_back_to_a_fresh_image():
    data = render.render_image(prompt="x", source=b"not an image", long_side=SMALL)
    assert decode(data).size == (SMALL, SMALL)


def test_long_prompts_and_long_words_are_wrapped_without_error():
    prompt = "https://example.com/" + "a" * 500 + " " + "word " * 1200
    assert decode(render.render_image(prompt=prompt[:6000], long_side=SMALL)).size == (
        SMALL,
        SMALL,
    )


def test_jobs_of_one_prompt_differ_and_one_job_stays_the_same():
    # A batch of four is four jobs of one prompt: four different images, each stable.
    a = render.render_image(prompt="a harbour", long_side=SMALL, job_id="job-a")
    b = render.render_image(prompt="a harbour", long_side=SMALL, job_id="job-b")
    assert difference(decode(a), decode(b)) > 5
    assert render.render_image(prompt="a harbour", long_side=SMALL, job_id="job-a") == a
