"""How the worker's C heap hands memory back (glibc only; elsewhere nothing is changed).

A studio_worker decodes 2048-px outputs (13 MB of pixels each) in several download threads.
With glibc's defaults every thread gets a malloc arena of its own and the mmap threshold
rises to the largest block freed so far, so each thread keeps the memory of the largest
image it decoded: 8 threads held ~250 MB after a burst of noisy 12.6 MB PNGs, against ~105
MB with the two settings below (measured by bench/pipeline_memory.py, docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util

# mallopt(3) parameters.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
# Blocks of this size or more (an image's pixels) are mapped on their own and returned to
# the system when freed; setting it also stops glibc from raising it by itself.
MMAP_THRESHOLD_BYTES = 1024 * 1024
ARENA_MAX = 2


def return_freed_memory() -> bool:
    """Tune malloc for a process that decodes large images in threads. Call it before the
    threads start; returns False where it does not apply (not glibc)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(name)
        return bool(
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            and libc.mallopt(M_ARENA_MAX, ARENA_MAX)
        )
    return False
