"""Staged files go with their rows, however the rows are deleted (purge, user deletion)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from studio.core.files import delete_files

from .models import StagedUpload


@receiver(post_delete, sender=StagedUpload)
def delete_staged_file(sender, instance: StagedUpload, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: delete_files([name]))
