"""A generation's parameters as a JSON document: what "Download parameters" gives, what
travels beside each image in a zip (its sidecar) and in the zip's manifest.json, and what
the composer takes back when such a file is dropped on it ("settings recall").

The document says what was asked (the API's request fields) and what came back (each
original's file name in the zip, media type, size and SHA-256), never who made it or with
whom it is shared, so it can leave the studio with the image.
"""

from __future__ import annotations

from typing import Any

from .models import PARAM_FIELDS, Generation, Output

FORMAT = "studio.parameters"
VERSION = 1
# What the composer takes back from a document: every parameter but the prompt, which
# recall leaves as the person typed it (as the SHA-256 recall does).
RECALLED = [f for f in PARAM_FIELDS if f != "prompt"]


def document(gen: Generation, outputs: list[Output] | None = None, names=None) -> dict[str, Any]:
    """`names`: the file name of each output where it travels with one (a zip)."""
    outputs = list(gen.outputs.all()) if outputs is None else outputs
    return {
        "format": FORMAT,
        "version": VERSION,
        "id": gen.pk,
        "parameters": gen.params(),
        "inputs": [
            {"role": ref.role, **({"url": ref.url} if ref.url else {"file": ref.original_name})}
            for ref in gen.inputs.all()
        ],
        "created_at": gen.created_at.isoformat(),
        "completed_at": gen.completed_at.isoformat() if gen.completed_at else None,
        "state": gen.state,
        "outputs": [
            {
                "position": out.position,
                **({"file": names[out.pk]} if names and out.pk in names else {}),
                "media_type": out.media_type,
                "width": out.width,
                "height": out.height,
                "bytes": out.bytes,
                "sha256": out.sha256,
            }
            for out in outputs
        ],
    }


def recalled(gen: Generation) -> dict[str, Any]:
    """The settings the composer takes back from `gen` (not its prompt)."""
    return {f: getattr(gen, f) for f in RECALLED}
