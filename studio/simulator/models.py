"""State of the built-in simulator of the Luma Agents API.

Only the simulator uses these tables; the studio's own records live in studio.generations.
The tables keep the names they had when the simulator was part of `studio.upstream`, so a
database filled before the move keeps its simulated jobs (see migrations/0001_initial.py).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


def _new_job_id() -> str:
    # Upstream ids are opaque UUID strings; keeping the same shape catches code that
    # assumes integer ids.
    return str(uuid.uuid4())


class SimulatedJob(models.Model):
    """One generation accepted by the simulator.

    The state is not stored: it is derived from `created_at` and the current
    `settings.SIMULATOR_SECONDS`, so the timeline needs no worker and tests can move it by
    changing the setting or `created_at`.
    """

    id = models.CharField(primary_key=True, max_length=36, default=_new_job_id, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user_id = models.CharField(max_length=200, blank=True)

    prompt = models.TextField()
    type = models.CharField(max_length=12, default="image")
    model = models.CharField(max_length=12, default="uni-1")
    aspect_ratio = models.CharField(max_length=5, default="1:1")
    style = models.CharField(max_length=10, default="auto")
    output_format = models.CharField(max_length=4, default="png")
    web_search = models.BooleanField(default=False)
    # Descriptions of the inputs ({"url": ...} or {"media_type": ..., "bytes": n}), never the
    # inline data itself: that can be 50 MB per image.
    image_ref = models.JSONField(default=list, blank=True)
    source = models.JSONField(null=True, blank=True)
    # Storage name of an inline `source` image, kept so an edit can be rendered on top of it.
    source_file = models.CharField(max_length=200, blank=True)

    # Parsed from `[simulate:...]` in the prompt: an upstream failure code, or
    # "missing_output" (completes, but the output URL answers 404). Empty: succeeds.
    forced_outcome = models.CharField(max_length=40, blank=True)

    class Meta:
        db_table = "upstream_simulatedjob"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.type}, {self.prompt[:40]!r})"


class SimulatorTrigger(models.Model):
    """Remembers that a once-only HTTP trigger (e.g. `[simulate:http_429]`) has fired.

    The unique key (a hash of trigger, user_id and prompt) makes the first identical POST
    fail and the retry succeed, even with concurrent requests.
    """

    key = models.CharField(max_length=64, unique=True)
    status = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "upstream_simulatortrigger"

    def __str__(self) -> str:
        return f"HTTP {self.status} fired ({self.key[:12]})"
