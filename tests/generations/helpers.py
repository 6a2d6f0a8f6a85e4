from __future__ import annotations

import io

from PIL import Image

from studio.generations import services

DEFAULTS = {
    "prompt": "a lighthouse at dusk",
    "type": "image",
    "aspect_ratio": "16:9",
    "style": "auto",
    "model": "uni-1",
    "output_format": "png",
    "web_search": False,
}


def make_generation(user, **overrides):
    data = {**DEFAULTS, **{k: v for k, v in overrides.items() if k in DEFAULTS}}
    return services.create_generation(user=user, data=data, inputs=overrides.get("inputs", ()))


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 30, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def upstream_generation(gen_id: str = "up-1", state: str = "queued", **extra) -> dict:
    body = {
        "id": gen_id,
        "created_at": "2026-11-26T10:00:00Z",
        "model": "uni-1",
        "state": state,
        "type": "image",
        "failure_code": None,
        "failure_reason": None,
        "output": [],
    }
    body.update(extra)
    return body
