"""Files follow their rows: however a row is deleted (the studio, the admin, a cascade from
a deleted user), its files go once the deletion is committed."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Output, Reference
from .outputs import delete_files


@receiver(post_delete, sender=Output)
def _output_files(sender, instance: Output, **kwargs) -> None:
    names = [instance.file.name, instance.thumbnail.name]
    transaction.on_commit(lambda: delete_files(names))


@receiver(post_delete, sender=Reference)
def _input_file(sender, instance: Reference, **kwargs) -> None:
    if instance.file:
        name = instance.file.name
        transaction.on_commit(lambda: delete_files([name]))
