"""Named, ordered sets of generations: a person's own, or a team's.

A collection holds rows pointing at generations; it never owns them. Deleting a collection
deletes its rows only. Who may see which item is not stored here: it is asked each time
(studio.collections.access), so an item unshared from a team or put in the trash drops out
of every collection showing it, and comes back with it if it is shared again or restored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Collection(models.Model):
    name = models.CharField(max_length=100)
    # The person who made it: its owner when it is personal (no team).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    # A team's collection: every member sees it, editors and owners change it.
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="collections"
    )
    # Chosen explicitly; without one (or when it is no longer shown) the first item is.
    cover = models.ForeignKey(
        "generations.Generation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["user", "team"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_team(self) -> bool:
        return self.team_id is not None


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="collection_items"
    )
    # Ascending; new items get one below the smallest so they show first. Not unique: a
    # move rewrites only the rows between the two places, and ties fall back to the id.
    position = models.IntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "generation"], name="one_item_per_image")
        ]
        # The collection page's keyset order.
        indexes = [models.Index(fields=["collection", "position", "generation"])]

    def __str__(self) -> str:
        return f"{self.collection_id}:{self.generation_id}@{self.position}"
