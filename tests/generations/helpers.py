from __future__ import annotations

import hashlib
from datetime import timedelta
from html.parser import HTMLParser

from django.core.files.base import ContentFile
from django.utils import timezone

from studio.generations import services
from studio.generations.models import Generation, Output, State
from tests.images import image_bytes as image_bytes  # the one image helper

DEFAULTS = {
    "prompt": "a lighthouse at dusk",
    "type": "image",
    "aspect_ratio": "16:9",
    "style": "auto",
    "model": "uni-1",
    "output_format": "png",
    "web_search": False,
}

# A valid composer POST.
FORM = {
    "prompt": "a paper boat",
    "type": "image",
    "aspect_ratio": "1:1",
    "style": "auto",
    "model": "uni-1",
    "output_format": "png",
}


def make_generation(user, **overrides):
    data = {**DEFAULTS, **{k: v for k, v in overrides.items() if k in DEFAULTS}}
    return services.create_generation(user=user, data=data, inputs=overrides.get("inputs", ()))


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


class _FormState(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self._add(a["name"], a.get("value", "on"))
            elif kind != "file":
                self._add(a["name"], a.get("value", ""))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self._add(self.select, a.get("value", ""))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self._add(self.textarea, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        if tag == "textarea" and self.textarea:
            # As in HTML, one newline right after <textarea> is not part of the value.
            value = self.values[self.textarea][-1]
            self.values[self.textarea][-1] = value[1:] if value.startswith("\n") else value
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea][-1] += data


def form_values(html: str) -> dict[str, list[str]]:
    """What a browser would submit from the page: checked, selected and typed values."""
    parser = _FormState()
    parser.feed(html)
    return parser.values


def complete(gen, size=(64, 36)):
    """Finish `gen` as the pipeline would: one stored output and its thumbnail."""
    data = image_bytes("PNG", size)
    out = Output(
        generation=gen,
        position=0,
        media_type="image/png",
        width=size[0],
        height=size[1],
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    out.file.save(f"{gen.pk}.png", ContentFile(data), save=False)
    out.thumbnail.save(f"{gen.pk}.webp", ContentFile(image_bytes("WEBP", size)), save=False)
    out.save()
    Generation.objects.filter(pk=gen.pk).update(state=State.COMPLETED, completed_at=timezone.now())
    gen.refresh_from_db()
    return gen


def fill(user, n, **kw):
    """`n` generations of `user`, one minute apart, the last one newest."""
    now = timezone.now()
    gens = []
    for i in range(n):
        gen = make_generation(user, prompt=f"item {i}", **kw)
        Generation.objects.filter(pk=gen.pk).update(created_at=now - timedelta(minutes=n - i))
        gens.append(gen)
    return gens
