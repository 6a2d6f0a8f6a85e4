"""Whether an original carries C2PA content credentials (or other JUMBF provenance data):
a marker check, not a validation. The studio stores originals byte for byte, so whatever
the provider embedded stays there and stays valid.

Where C2PA puts its manifest store: in a JPEG, APP11 segments holding a JUMBF box ("jumb")
labelled "c2pa"; in a PNG, a "caBX" chunk; in other formats the same JUMBF box.

PNG and JPEG (the provider's only output formats) are read by their structure: the chunk
or segment headers only, seeking past the image data, so a 7-MB original costs a few
hundred small reads instead of a scan of every byte (a scan took 14 ms of CPU per 2048-px
output, 12 % of the download stage of a burst: docs/benchmarks.md), and the markers'
bytes appearing by chance inside compressed image data count for nothing. A file that
is neither, or whose structure does not read to its end, is scanned whole as before.
"""

from __future__ import annotations

import struct

CHUNK = 1024 * 1024
MARKERS = (b"jumb", b"c2pa", b"caBX")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_APP11 = 0xEB
JPEG_START_OF_SCAN = 0xDA
# JPEG markers that stand alone, with no length after them.
JPEG_BARE = {0x01, *range(0xD0, 0xD8)}


class _Unreadable(Exception):
    """The structure did not read as expected: fall back to the scan."""


def has_c2pa(fh) -> bool:
    """Whether `fh` (read from its start) carries C2PA markers; the position is left at
    the start."""
    try:
        fh.seek(0)
        head = fh.read(8)
        fh.seek(0)
        if head == PNG_SIGNATURE:
            return _png_has_c2pa(fh)
        if head[:2] == b"\xff\xd8":
            return _jpeg_has_c2pa(fh)
    except _Unreadable:
        pass
    finally:
        fh.seek(0)
    return _scan(fh)


def _png_has_c2pa(fh) -> bool:
    """A caBX chunk anywhere before IEND (C2PA allows it before or after the image data)."""
    fh.seek(len(PNG_SIGNATURE))
    while True:
        header = fh.read(8)
        if len(header) < 8:
            raise _Unreadable("no IEND")
        length, kind = struct.unpack(">I4s", header)
        if kind == b"caBX":
            return True
        if kind == b"IEND":
            return False
        fh.seek(length + 4, 1)  # the chunk's data and its CRC


def _jpeg_has_c2pa(fh) -> bool:
    """An APP11 segment holding a JUMBF box labelled c2pa, among the segments before the
    scan data (where every APPn segment is)."""
    fh.seek(2)
    while True:
        marker = fh.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise _Unreadable("not a marker")
        code = marker[1]
        if code == 0xFF:  # fill byte before a marker
            fh.seek(-1, 1)
            continue
        if code in JPEG_BARE:
            continue
        if code == JPEG_START_OF_SCAN:
            return False
        size = fh.read(2)
        if len(size) < 2:
            raise _Unreadable("truncated")
        (length,) = struct.unpack(">H", size)
        if length < 2:
            raise _Unreadable("bad length")
        if code == JPEG_APP11:
            body = fh.read(length - 2)
            if b"jumb" in body and b"c2pa" in body:
                return True
        else:
            fh.seek(length - 2, 1)


def _scan(fh) -> bool:
    """Every byte, in chunks (an original may be tens of MB), for the markers."""
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
