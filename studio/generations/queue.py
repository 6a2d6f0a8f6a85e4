"""The one place that hands work to django-q2, so tests can swap it for a recorder."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from studio.core import logs

log = logging.getLogger("studio.generations")


def enqueue(task_name: str, *args) -> None:
    """Enqueue a task of tasks.py; one marked `logs.traced` carries the id of the request
    (or task) that enqueued it, so its log lines and its call upstream can be followed."""
    path = f"studio.generations.tasks.{task_name}"
    kwargs = {}
    request_id = logs.current_request_id()
    if request_id and getattr(import_string(path), "takes_request_id", False):
        kwargs["request_id"] = request_id
    async_task(path, *args, group=task_name, **kwargs)


def enqueue_on_commit(task_name: str, *args) -> None:
    """Enqueue once the transaction commits. The row is the source of truth: when the
    broker is away (Redis down), what was saved stays saved and accepted, and the worker's
    re-drive sends it (recovery.redrive's lost submits); the person never sees a 500."""
    transaction.on_commit(lambda: _enqueue_or_leave(task_name, *args))


def _enqueue_or_leave(task_name: str, *args) -> None:
    try:
        enqueue(task_name, *args)
    except Exception as exc:
        log.warning(
            "task %s%r not queued (%s); the worker's re-drive will run it", task_name, args, exc
        )
