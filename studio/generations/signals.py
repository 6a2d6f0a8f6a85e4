"""Files follow their rows: however a row is deleted (the studio, the admin, a cascade from
a deleted user), its files go once the deletion is committed. And a studio_worker's
cluster beats once its monitor has saved a heartbeat task's result."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_q.signals import post_execute

from .models import Output, Reference, WorkerHeartbeat
from .outputs import delete_files

HEARTBEAT_TASK = "studio.generations.tasks.heartbeat"


@receiver(post_delete, sender=Output)
def _output_files(sender, instance: Output, **kwargs) -> None:
    names = [instance.file.name, instance.thumbnail.name]
    transaction.on_commit(lambda: delete_files(names))


@receiver(post_delete, sender=Reference)
def _input_file(sender, instance: Reference, **kwargs) -> None:
    if instance.file:
        name = instance.file.name
        transaction.on_commit(lambda: delete_files([name]))


@receiver(post_execute)
def _heartbeat(sender, task: dict, **kwargs) -> None:
    """Sent by django-q2's monitor process after it saved and acknowledged a result: the
    last link of the chain pusher -> worker -> monitor, so the beat proves all three."""
    if task.get("func") == HEARTBEAT_TASK and task.get("success") and task.get("result"):
        WorkerHeartbeat.beat(task["result"])
