"""What hangs off generations: batches, inputs, outputs, stars, saved searches, submission
keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .generation import Generation


class Batch(models.Model):
    """The images of one submit with `count` > 1: the same parameters, one job each."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    size = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"batch {self.pk} of {self.size}"


class Favourite(models.Model):
    """A star: it belongs to the person who set it, on any generation they may see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "generation"], name="one_star_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} stars #{self.generation_id}"


class Reference(models.Model):
    """An input image: the edit source or one of the reference images."""

    class Role(models.TextChoices):
        SOURCE = "source"
        REFERENCE = "reference"

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="inputs")
    role = models.CharField(max_length=10, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="inputs/%Y/%m/", blank=True)
    url = models.URLField(max_length=2000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    media_type = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["role", "position"]

    def __str__(self) -> str:
        return f"{self.role} {self.position} of #{self.generation_id}"


class Output(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="outputs")
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="outputs/%Y/%m/")
    thumbnail = models.FileField(upload_to="thumbs/%Y/%m/")
    media_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()
    # Of the original as stored (byte for byte what the provider sent): an image dropped on
    # the composer is recognised by it ("" until the backfill migration reaches the row).
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The original carries C2PA / JUMBF provenance markers (checked, not validated).
    c2pa = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "position"], name="one_output_per_slot")
        ]

    def __str__(self) -> str:
        return f"output {self.position} of #{self.generation_id}"


class SubmissionKey(models.Model):
    """A one-time submission key the form (or a Retry button) carried: the first post with
    it claims the row and records what it made; a repeat of the key (a double click, a
    second Ctrl+Enter, a resent form) finds the row and makes nothing. Rows are dropped a
    day after they were made (submission_keys.claim clears the person's old ones)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submission_keys"
    )
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Null while the first post runs; then the ids it made (empty: it made nothing).
    finished_at = models.DateTimeField(null=True, blank=True)
    generation_ids = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_submission_per_key")
        ]

    def __str__(self) -> str:
        return f"submission key of user {self.user_id}"


class SavedSearch(models.Model):
    """A person's named gallery search: the query string of its filters, theirs alone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
