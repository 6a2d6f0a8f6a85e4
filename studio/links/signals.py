"""A link whose image is purged from the trash can never show anything again: it goes with
the image's files. (Trashing keeps it, so Restore brings it back; deleting the row deletes it
by cascade.)"""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from studio.generations.models import Output

from .models import PublicLink


@receiver(post_delete, sender=Output)
def _purged(sender, instance: Output, **kwargs) -> None:
    PublicLink.objects.filter(
        generation_id=instance.generation_id, generation__trashed_at__isnull=False
    ).delete()
