"""Teams, their members, and every rule about them: who belongs to a team and who may
share with it. Other apps ask these querysets and methods instead of filtering
memberships themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TeamQuerySet(models.QuerySet):
    def for_member(self, user) -> TeamQuerySet:
        """The teams `user` belongs to, in any role, by name."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(memberships__user=user).order_by("name")

    def shareable_by(self, user) -> TeamQuerySet:
        """The teams `user` may share a generation with (editor or owner), by name."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        # One filter() call: the user and the role are conditions on the same membership.
        return self.filter(memberships__user=user, memberships__role__in=SHARING_ROLES).order_by(
            "name"
        )


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    objects = TeamQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    def role_of(self, user) -> str | None:
        return Membership.objects.role_of(user, self)

    def is_member(self, user) -> bool:
        return self.role_of(user) is not None

    def can_share(self, user) -> bool:
        """May `user` share a generation with this team (and so put work in its gallery)?"""
        return self.role_of(user) in SHARING_ROLES


class MembershipQuerySet(models.QuerySet):
    def role_of(self, user, team: Team) -> str | None:
        """The role `user` holds in `team`, or None for anyone not in it."""
        if not getattr(user, "is_authenticated", False) or team is None:
            return None
        return self.filter(user=user, team=team).values_list("role", flat=True).first()


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer"
        EDITOR = "editor"
        OWNER = "owner"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


# Viewers only look; editors and owners may also share their own work with the team.
SHARING_ROLES = (Membership.Role.EDITOR, Membership.Role.OWNER)
