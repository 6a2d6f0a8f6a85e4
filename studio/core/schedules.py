"""A django-q2 Schedule that a migration makes (and its reverse removes): how an app
registers its own periodic housekeeping without any other app knowing of it."""

from __future__ import annotations

from django.db import migrations

# The django_q migration every Schedule-making migration must follow.
DJANGO_Q = ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")


def hourly(name: str, func: str) -> migrations.RunPython:
    """Run `func` (a dotted path) every hour, under `name`."""
    return _every("H", name, func)


def daily(name: str, func: str) -> migrations.RunPython:
    """Run `func` (a dotted path) once a day, under `name`."""
    return _every("D", name, func)


def _every(schedule_type: str, name: str, func: str) -> migrations.RunPython:
    def create(apps, schema_editor):
        apps.get_model("django_q", "Schedule").objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": schedule_type, "repeats": -1}
        )

    def remove(apps, schema_editor):
        apps.get_model("django_q", "Schedule").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
