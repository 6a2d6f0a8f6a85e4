"""The worker's own rows: the polling loop's lease, the workers' heartbeats, the provider's
request budget."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class PollLease(models.Model):
    """One row per loop name; whoever holds an unexpired lease runs the polling loop.
    (WorkerHeartbeat keeps its rows in the same table, under names of their own.)"""

    POLLER = "poller"

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(default=timezone.now)
    # The fencing number: raised by every takeover (a new holder), kept by a renewal. The
    # loop's writes check it (transitions.Fence), so a loop that lost the lease while
    # paused or stuck in a slow request changes nothing when it resumes.
    fence = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at}"

    @classmethod
    def acquire(cls, token: str, *, name: str = POLLER) -> bool:
        """Take (or renew) the lease for `token`; False while someone else holds it.

        One conditional UPDATE, so two workers racing for a lapsed lease cannot both win.
        """
        now = timezone.now()
        cls.objects.get_or_create(name=name)
        return bool(
            cls.objects.filter(name=name)
            .filter(Q(expires_at__lt=now) | Q(holder=token) | Q(holder=""))
            .update(
                holder=token,
                expires_at=now + timedelta(seconds=settings.POLL_LEASE_SECONDS),
                fence=models.Case(
                    models.When(holder=token, then=F("fence")), default=F("fence") + 1
                ),
            )
        )

    @classmethod
    def fence_of(cls, token: str, *, name: str = POLLER) -> int | None:
        """The fencing number of the lease while `token` holds it (None: it does not)."""
        return cls.objects.filter(name=name, holder=token).values_list("fence", flat=True).first()

    @classmethod
    def release(cls, token: str, *, name: str = POLLER) -> None:
        """Give the lease up, if `token` still holds it."""
        cls.objects.filter(name=name, holder=token).update(holder="", expires_at=timezone.now())


class HeartbeatManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(name__startswith=WorkerHeartbeat.PREFIX)


class WorkerHeartbeat(PollLease):
    """When each studio_worker's cluster last ran a heartbeat task: one row per worker,
    named PREFIX + its id, the time in `expires_at` (the table is the lease's, so no
    worker needs a second table to be migrated before it can beat)."""

    PREFIX = "heartbeat:"

    objects = HeartbeatManager()

    class Meta:
        proxy = True

    @classmethod
    def beat(cls, worker_id: str) -> None:
        """Note that the cluster of worker `worker_id` ran a task just now."""
        cls.objects.update_or_create(
            name=f"{cls.PREFIX}{worker_id}", defaults={"expires_at": timezone.now()}
        )

    @classmethod
    def last(cls, worker_id: str):
        """When the cluster of worker `worker_id` last beat; None: never."""
        return (
            cls.objects.filter(name=f"{cls.PREFIX}{worker_id}")
            .values_list("expires_at", flat=True)
            .first()
        )


class RequestBudget(models.Model):
    """A token bucket shared by every worker: the provider's POSTs per minute.

    One row per bucket, changed only under `select_for_update` in a transaction (SQLite's
    IMMEDIATE transactions serialize the same way), so two workers never spend one token.
    """

    name = models.CharField(max_length=40, unique=True)
    tokens = models.FloatField(default=0)
    refilled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}: {self.tokens:.1f} tokens at {self.refilled_at}"
