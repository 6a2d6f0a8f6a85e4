"""Timing helpers shared by the benchmarks (call after django.setup())."""

from __future__ import annotations

import statistics
import time
import tracemalloc

from django.db import connection
from django.test.utils import CaptureQueriesContext


def timed(fn, repeat: int = 15) -> tuple[float, float]:
    """Median and max wall time in ms over `repeat` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def count_queries(fn) -> int:
    # request_started clears the query log, so start from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def peak_rss_added(fn) -> str:
    """Growth of the process's peak resident memory while `fn` runs (Linux), which counts
    Pillow's pixel buffers too; tracemalloc would only see Python objects."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
        before = _vm("VmHWM")
        fn()
        return f"{(_vm('VmHWM') - before) / 1024:.0f} MB (peak RSS)"
    except OSError:
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return f"{peak / 1e6:.0f} MB (Python objects only)"


def _vm(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    raise OSError(f"{field} not in /proc/self/status")


def row(name: str, median: float, worst: float, extra: str = "") -> None:
    print(f"{name:<50} median {median:8.1f} ms   max {worst:8.1f} ms   {extra}", flush=True)
