"""How often one address may open public links (pages and files together): a window of a
minute, counted in the `throttle` cache. With REDIS_URL that cache is Redis, shared by every
web process; without it each process counts on its own (one process: the same thing).

A public page is the only page anyone may open without signing in, and each view of it is
an UPDATE of its link's row: without a limit a script (or a chat app's link preview in a
loop) writes to the database as fast as it can ask. A counter that cannot be reached lets
the request through: a cut of Redis must not take public links down with it."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from studio.accounts.lockout import client_ip

log = logging.getLogger(__name__)

WINDOW = 60


def wait_seconds(request: HttpRequest) -> int:
    """0 when `request` may be answered (and counts it), else the seconds until its
    address's window ends."""
    limit = settings.PUBLIC_LINK_RATE_PER_MINUTE
    if limit <= 0:
        return 0
    now = time.time()
    window = int(now // WINDOW)
    key = f"public-link:{client_ip(request) or '-'}:{window}"
    cache = caches["throttle"]
    try:
        # add() then incr(): atomic on Redis and within a process on locmem; the first
        # request of a window makes the key, the others count on it.
        cache.add(key, 0, timeout=WINDOW * 2)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 (any cache failure: let the request through)
        log.warning("public link throttle unavailable; request let through", exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, (window + 1) * WINDOW - int(now))
