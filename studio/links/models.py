"""A public link: one image (a generation's outputs) or one collection, opened at
`/s/<token>/` by anyone who has the URL, without signing in.

The row holds no token. The URL's token is the row's random `key` followed by an HMAC of that
key under the project's SECRET_KEY (studio.links.tokens): the database alone (a backup, a
replica, someone reading the admin) cannot open any link, and the owner's list can still show
the URL again whenever they want to copy it. Revoking deletes the row (the audit log keeps
the record of it); an expired row stays, listed as expired, until its owner removes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PublicLinkQuerySet(models.QuerySet):
    def live(self, now=None) -> PublicLinkQuerySet:
        """Not expired (revoked ones no longer exist)."""
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class PublicLink(models.Model):
    # The public half of the token: random, unique, the row's look-up.
    key = models.CharField(max_length=32, unique=True)
    # Who made it: only their own work is ever shown through it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="public_links"
    )
    # Exactly one of the two. Deleting the image or the collection deletes the link; putting
    # the image in the trash does not (the link answers 404 until it is restored).
    generation = models.ForeignKey(
        "generations.Generation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    collection = models.ForeignKey(
        "collections.Collection", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    show_prompt = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Page views, counted with an F() update: no row per view, nothing about the viewer.
    views = models.PositiveBigIntegerField(default=0)

    objects = PublicLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(generation__isnull=False, collection__isnull=True)
                | Q(generation__isnull=True, collection__isnull=False),
                name="public_link_points_at_one_thing",
            )
        ]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        if self.generation_id:
            return f"link to generation {self.generation_id}"
        return f"link to collection {self.collection_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def kind(self) -> str:
        return "image" if self.generation_id else "collection"
