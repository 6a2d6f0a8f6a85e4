"""Whether an original carries C2PA content credentials (or other JUMBF provenance data):
a marker check, not a validation. The studio stores originals byte for byte, so whatever
the provider embedded stays there and stays valid.

Where C2PA puts its manifest store: in a JPEG, APP11 segments holding a JUMBF box ("jumb")
labelled "c2pa"; in a PNG, a "caBX" chunk; in other formats the same JUMBF box.
"""

from __future__ import annotations

CHUNK = 1024 * 1024
MARKERS = (b"jumb", b"c2pa", b"caBX")


def has_c2pa(fh) -> bool:
    """Read `fh` from its start in chunks (an original may be tens of MB) looking for the
    markers; the position is left at the start."""
    fh.seek(0)
    seen: set[bytes] = set()
    tail = b""
    while chunk := fh.read(CHUNK):
        window = tail + chunk
        seen.update(m for m in MARKERS if m in window)
        if b"caBX" in seen or {b"jumb", b"c2pa"} <= seen:
            fh.seek(0)
            return True
        tail = window[-8:]
    fh.seek(0)
    return False
