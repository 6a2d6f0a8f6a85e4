"""A zip written as it is sent: for bulk downloads of originals.

Images are stored, not deflated (PNG and JPEG are compressed already), and each file is read
from storage in chunks only when its turn comes, so the first bytes leave before the last
file is opened and no archive is ever held in memory or on disk. The zip has data
descriptors (sizes after each file), which every unzip tool reads.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import IO

CHUNK = 64 * 1024

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


class _Sink:
    """A write-only stream that hands its bytes on: zipfile sees no seek(), so it writes
    sizes after each file instead of seeking back to fill them in."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def stream(entries: Iterable[tuple[str, Opener]]) -> Iterator[bytes]:
    """The zip of `entries` (a name in the archive, and how to open its file), in chunks."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for name, opener in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with opener() as source, archive.open(info, mode="w") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    if sink.size >= CHUNK:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
