"""Pillow rendering of the simulator's outputs.

The images must be real (right size, right format, several hundred KB to a few MB, like
upstream's) and visibly tied to the request, so a human looking at the gallery can tell
which prompt, style and aspect ratio produced which card. Everything is drawn with Pillow
primitives and C-level operations: a per-pixel Python loop over 4 megapixels would take
seconds.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from studio.core.media import extension_for
from studio.upstream import facts

# Only so much of a 6,000-character prompt fits on an image; wrapping all of it is wasted work.
_TEXT_CHARS = 400
_MAX_TEXT_LINES = 7
RGB = tuple[int, int, int]


def media_type(output_format: str) -> str:
    """The media type of an output in the API's `output_format` (`jpeg` -> `image/jpeg`)."""
    return f"image/{output_format}"


def extension(output_format: str) -> str:
    """The extension of an output's file name (`jpeg` -> `jpg`)."""
    return extension_for(media_type(output_format))


def output_size(aspect_ratio: str, long_side: int = facts.OUTPUT_LONG_SIDE) -> tuple[int, int]:
    """(width, height) with `long_side` on the long side, e.g. 3:1 -> (2048, 683)."""
    w_ratio, h_ratio = (int(part) for part in aspect_ratio.split(":"))
    if w_ratio >= h_ratio:
        return long_side, max(1, round(long_side * h_ratio / w_ratio))
    return max(1, round(long_side * w_ratio / h_ratio)), long_side


def render_image(
    *,
    prompt: str,
    aspect_ratio: str = "1:1",
    style: str = "auto",
    output_format: str = "png",
    source: bytes | None = None,
    long_side: int = facts.OUTPUT_LONG_SIDE,
    job_id: str = "",
) -> bytes:
    """Encode an image for the request. `long_side` is smaller only in tests.

    Seeded by the prompt and the job's id: the same job always gives the same image, and
    the jobs of a batch (one prompt, several jobs) differ, as a real model's would."""
    size = output_size(aspect_ratio, long_side)
    rng = random.Random(hashlib.sha256(f"{job_id}\x00{prompt}".encode()).digest())
    manga = style == "manga"

    base = _fit_source(source, size) if source else None
    image = _manga(rng, size, base) if manga else _colour(rng, size, base)
    _caption(image, prompt, manga=manga)

    buffer = io.BytesIO()
    if output_format == "jpeg":
        image.save(buffer, "JPEG", quality=90)
    else:
        # Level 1: a 2048 px PNG encodes in a fraction of a second and is still a few MB,
        # the size class the real outputs have.
        image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# -- styles ------------------------------------------------------------------------------
def _palette(rng: random.Random, count: int) -> list[RGB]:
    hue = rng.random()
    colours = []
    for i in range(count):
        h = (hue + i * rng.uniform(0.08, 0.35)) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, rng.uniform(0.45, 0.95), rng.uniform(0.55, 1.0))
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return colours


def _gradient(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A grey gradient (linear at a prompt-chosen angle, or radial) at full size."""
    if rng.random() < 0.35:
        grey = Image.radial_gradient("L")
    else:
        grey = Image.linear_gradient("L").rotate(rng.uniform(0, 360), fillcolor=128)
    return grey.resize(size, Image.Resampling.BILINEAR)


def _shapes(rng: random.Random, size: tuple[int, int], count: int) -> list[tuple[str, list]]:
    """Prompt-derived shapes as (kind, coordinates), shared by both styles."""
    width, height = size
    unit = min(width, height)
    shapes: list[tuple[str, list]] = []
    for _ in range(count):
        kind = rng.choice(["ellipse", "rectangle", "polygon"])
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.08, 0.35) * unit
        if kind == "polygon":
            sides = rng.randint(3, 7)
            spin = rng.uniform(0, 6.3)
            points = [
                (
                    cx + radius * math.cos(spin + k * 6.2832 / sides),
                    cy + radius * math.sin(spin + k * 6.2832 / sides),
                )
                for k in range(sides)
            ]
            shapes.append((kind, points))
        else:
            shapes.append((kind, [cx - radius, cy - radius * 0.8, cx + radius, cy + radius * 0.8]))
    return shapes


def _colour(rng: random.Random, size: tuple[int, int], base: Image.Image | None) -> Image.Image:
    colours = _palette(rng, 5)
    if base is None:
        image = ImageOps.colorize(_gradient(rng, size), black=colours[0], white=colours[1])
    else:
        # An edit keeps the source recognisable, tinted with the prompt's colour.
        image = Image.blend(base, Image.new("RGB", size, colours[0]), 0.3)
    image = image.convert("RGBA")
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    line = max(2, min(size) // 150)
    for i, (kind, coords) in enumerate(_shapes(rng, size, rng.randint(5, 10))):
        r, g, b = colours[2 + i % 3]
        if base is None:
            fill: tuple[int, int, int, int] | None = (r, g, b, rng.randint(110, 220))
        else:
            fill = None  # outlines only, so the source stays visible
        outline = (255 - r, 255 - g, 255 - b, 230)
        getattr(draw, kind)(coords, fill=fill, outline=outline, width=line)
    return Image.alpha_composite(image, overlay).convert("RGB")


def _manga(rng: random.Random, size: tuple[int, int], base: Image.Image | None) -> Image.Image:
    """Black ink on white: screentone dots for the shading, bold outlines, speed lines."""
    width, height = size
    tone = ImageOps.grayscale(base) if base is not None else _gradient(rng, size)
    tone = tone.point(lambda v: 90 + v * 165 // 255)  # keep the tones light, like paper
    shapes = _shapes(rng, size, rng.randint(4, 7))
    shade = ImageDraw.Draw(tone)
    if base is None:
        for kind, coords in shapes:
            getattr(shade, kind)(coords, fill=rng.choice([60, 110, 160, 235]))
    image = _halftone(tone).convert("RGB")

    ink = ImageDraw.Draw(image)
    focus = (rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height)
    reach = width + height
    for _ in range(rng.randint(24, 40)):
        angle = rng.uniform(0, 6.2832)
        start = rng.uniform(0.35, 0.6) * min(size)
        ink.line(
            [
                (focus[0] + start * math.cos(angle), focus[1] + start * math.sin(angle)),
                (focus[0] + reach * math.cos(angle), focus[1] + reach * math.sin(angle)),
            ],
            fill=(0, 0, 0),
            width=max(1, min(size) // 400),
        )
    line = max(3, min(size) // 90)
    for kind, coords in shapes:
        getattr(ink, kind)(coords, outline=(0, 0, 0), width=line)
    return image


def _halftone(tone: Image.Image) -> Image.Image:
    """Classic dot screen: each cell gets a black dot whose area follows the darkness."""
    cell = max(4, min(tone.size) // 160)
    screen = _tiled(_dot_cell(cell), tone.size)
    # Black where the tone is darker than the screen's threshold at that pixel.
    darker = ImageChops.subtract(screen, tone)
    return darker.point(lambda v: 0 if v > 0 else 255)


@lru_cache(maxsize=8)
def _dot_cell(cell: int) -> Image.Image:
    """Thresholds for one screen cell, highest at the centre, uniformly spread by rank so
    a 50% grey gives a 50% dot."""
    centre = (cell - 1) / 2
    order = sorted(
        ((x - centre) ** 2 + (y - centre) ** 2, x, y) for y in range(cell) for x in range(cell)
    )
    tile = Image.new("L", (cell, cell))
    for rank, (_, x, y) in enumerate(order):
        tile.putpixel((x, y), 255 - rank * 255 // len(order))
    return tile


def _tiled(tile: Image.Image, size: tuple[int, int]) -> Image.Image:
    # Paste one row of tiles, then the row itself: O(width + height) pastes, not O(area).
    cell_w, cell_h = tile.size
    row = Image.new("L", (size[0], cell_h))
    for x in range(0, size[0], cell_w):
        row.paste(tile, (x, 0))
    screen = Image.new("L", size)
    for y in range(0, size[1], cell_h):
        screen.paste(row, (0, y))
    return screen


def _fit_source(data: bytes, size: tuple[int, int]) -> Image.Image | None:
    """The source image cropped to fill the frame, or None when it cannot be decoded."""
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.draft("RGB", size)  # JPEG: decode at reduced scale, much faster
            fitted = ImageOps.fit(ImageOps.exif_transpose(source).convert("RGB"), size)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return fitted


# -- text --------------------------------------------------------------------------------
def _caption(image: Image.Image, prompt: str, *, manga: bool) -> None:
    """The prompt, wrapped, on a panel at the bottom (a speech balloon in manga)."""
    width, height = image.size
    font_size = max(10, min(width, height) // 18, max(width, height) // 40)
    font = _font(font_size)
    margin = font_size
    lines = _wrap(" ".join(prompt.split())[:_TEXT_CHARS], font, width - 4 * margin)
    if len(lines) > _MAX_TEXT_LINES:
        lines = lines[:_MAX_TEXT_LINES]
        lines[-1] = lines[-1].rstrip(". ") + "…"
    line_height = int(font_size * 1.25)
    # Never let the panel cover more than about half of a short, wide image.
    lines = lines[: max(1, (height // 2 - 2 * margin) // line_height)]
    panel_h = line_height * len(lines) + margin
    top = height - panel_h - margin
    box = (margin, top, width - margin, height - margin)

    draw = ImageDraw.Draw(image, "RGBA")
    if manga:
        draw.rounded_rectangle(
            box, radius=margin, fill=(255, 255, 255), outline=(0, 0, 0), width=max(2, margin // 6)
        )
        colour: tuple[int, ...] = (0, 0, 0)
    else:
        draw.rounded_rectangle(box, radius=margin // 2, fill=(0, 0, 0, 150))
        colour = (255, 255, 255)
    y = top + margin // 2
    for text in lines:
        draw.text((2 * margin, y), text, font=font, fill=colour)
        y += line_height
    # Nobody should mistake these for real outputs.
    small = _font(max(8, font_size // 2))
    draw.text((margin, margin // 2), "SIMULATED", font=small, fill=(*colour, 200))


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError):  # Pillow built without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, limit: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        # A word wider than the line (a URL, a long token) is cut into pieces.
        while font.getlength(word) > limit and len(word) > 1:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > limit:
                cut = max(1, cut * 3 // 4)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
        if len(lines) > _MAX_TEXT_LINES:
            break
    if current:
        lines.append(current)
    return lines or [""]
