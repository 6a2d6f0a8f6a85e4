"""The one place webhooks hand work to django-q2, so tests can swap it for a recorder."""

from __future__ import annotations

from django_q.tasks import async_task


def enqueue(task_name: str, *args) -> None:
    async_task(f"studio.webhooks.tasks.{task_name}", *args, group=f"webhooks.{task_name}")
