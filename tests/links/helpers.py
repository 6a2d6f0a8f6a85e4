from __future__ import annotations

import re

from django.test import Client

from studio.links import tokens
from studio.links.models import PublicLink


def make(client, gen, **data):
    """Post the detail page's "Public link" form for `gen`."""
    body = {"expires": "never", "next": f"/generations/{gen.pk}/", **data}
    return client.post(f"/generations/{gen.pk}/link/", body)


def url_of(link: PublicLink) -> str:
    return f"/s/{tokens.token_for(link.key)}/"


def anonymous() -> Client:
    return Client()


def srcs(html: str) -> list[str]:
    return re.findall(r'<img[^>]* src="([^"]+)"', html)


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)
