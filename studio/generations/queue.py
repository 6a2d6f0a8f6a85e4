"""The one place that hands work to django-q2, so tests can swap it for a recorder."""

from __future__ import annotations

from django.utils.module_loading import import_string
from django_q.tasks import async_task

from studio.core import logs


def enqueue(task_name: str, *args) -> None:
    """Enqueue a task of tasks.py; one marked `logs.traced` carries the id of the request
    (or task) that enqueued it, so its log lines and its call upstream can be followed."""
    path = f"studio.generations.tasks.{task_name}"
    kwargs = {}
    request_id = logs.current_request_id()
    if request_id and getattr(import_string(path), "takes_request_id", False):
        kwargs["request_id"] = request_id
    async_task(path, *args, group=task_name, **kwargs)
