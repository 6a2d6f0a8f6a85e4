from __future__ import annotations

from html.parser import HTMLParser

from studio.generations import services
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
