"""The POST /generations body a row is sent as."""

from __future__ import annotations

import base64
from typing import Any

from studio.accounts.models import upstream_user_id_for

from ..models import Generation, Reference


def request_body(gen: Generation) -> dict[str, Any]:
    """Every parameter, named as in the API; input files inline as base64."""
    body: dict[str, Any] = gen.params()
    body["user_id"] = upstream_user_id_for(gen.user, end_user=gen.end_user)
    refs = []
    for ref in gen.inputs.all():
        item = _image_item(ref)
        if ref.role == Reference.Role.SOURCE:
            body["source"] = item
        else:
            refs.append(item)
    if refs:
        body["image_ref"] = refs
    return body


def _image_item(ref: Reference) -> dict[str, str]:
    if ref.url:
        return {"url": ref.url}
    with ref.file.open("rb") as fh:
        data = fh.read()
    return {"data": base64.b64encode(data).decode("ascii"), "media_type": ref.media_type}
