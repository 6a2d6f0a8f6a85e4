from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.core.media import extension_for


def new_token() -> str:
    return secrets.token_urlsafe(24)


def staged_path(instance: StagedUpload, filename: str) -> str:
    # The stored name never contains what the user called the file.
    ext = extension_for(instance.media_type)
    return f"staged/{timezone.now():%Y-%m-%d}/{instance.token}.{ext}"


class StagedUpload(models.Model):
    """An upload that passed validation, kept so a form returned with errors need not ask
    for the file again (and so Remix / Edit can start from copies of earlier images).

    The file is already normalised (orientation applied, metadata stripped). The token is
    the only handle the browser sees, and it resolves for its owner only.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staged_uploads"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    file = models.FileField(upload_to=staged_path, max_length=200)
    media_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()
    original_name = models.CharField(max_length=255, blank=True)
    # For copies made by Remix / Edit this image: what was copied ("input:12", "output:7"),
    # so opening the same link again reuses the copy instead of making another.
    origin = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"staged {self.original_name or self.token} of user {self.user_id}"
