"""Teams, their members, and every rule about them: who belongs to a team, who may share
with it, who manages it. Other apps ask these querysets and methods instead of filtering
memberships themselves; changes to a team go through `studio.teams.services`."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, Q


class TeamQuerySet(models.QuerySet):
    def for_member(self, user) -> TeamQuerySet:
        """The teams `user` belongs to, in any role, by name."""
        return self._with_role(user, Membership.Role.values)

    def shareable_by(self, user) -> TeamQuerySet:
        """The teams `user` may share a generation with (editor or owner), by name."""
        return self._with_role(user, SHARING_ROLES)

    def managed_by(self, user) -> TeamQuerySet:
        """The teams whose members, name and gallery `user` manages (owner), by name."""
        return self._with_role(user, MANAGING_ROLES)

    def _with_role(self, user, roles) -> TeamQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        # A subquery, not a join: a join would leave only the person's own membership row
        # per team, and with_counts() would count every team as one member.
        mine = Membership.objects.filter(user=user, role__in=roles).values("team_id")
        return self.filter(pk__in=mine).order_by("name")

    def with_counts(self) -> TeamQuerySet:
        """Each team with `member_count` and `item_count` (what is shared with it)."""
        return self.annotate(
            member_count=Count("memberships", distinct=True),
            item_count=Count("generations", distinct=True),
        )


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Named in the identity provider's teams claim: the roles of members who sign in through
    # the provider follow the claim at each sign-in (studio/teams/claims.py).
    managed_by_claims = models.BooleanField(default=False)
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

    def can_manage(self, user) -> bool:
        """May `user` add, remove and change members, rename the team and take any item
        out of its gallery?"""
        return self.role_of(user) in MANAGING_ROLES

    def owner_count(self) -> int:
        return self.memberships.filter(role=Membership.Role.OWNER).count()


class MembershipQuerySet(models.QuerySet):
    def role_of(self, user, team: Team) -> str | None:
        """The role `user` holds in `team`, or None for anyone not in it."""
        if not getattr(user, "is_authenticated", False) or team is None:
            return None
        return self.filter(user=user, team=team).values_list("role", flat=True).first()

    def team_ids_of(self, user) -> MembershipQuerySet:
        """The ids of the teams `user` belongs to, in any role, as a subquery (what
        Team.objects.for_member selects, without its join: cheaper to build and to run)."""
        return self.filter(user=user, role__in=Membership.Role.values).values("team_id")

    def roles_of(self, user) -> dict[int, str]:
        """{team id: role} for every team of `user`: one query for a whole gallery page."""
        if not getattr(user, "is_authenticated", False):
            return {}
        return dict(self.filter(user=user).values_list("team_id", "role"))

    def teams_of(self, user) -> PersonTeams:
        """What a page asks of a person's teams (roles, teams by name, those they may share
        with, the default), in one query instead of one for each question."""
        if not getattr(user, "is_authenticated", False):
            return PersonTeams(roles={}, teams=[], shareable=[], default=None)
        rows = list(self.filter(user=user).select_related("team").order_by("team__name"))
        shareable = [m.team for m in rows if m.role in SHARING_ROLES]
        default = next((m.team for m in rows if m.is_default and m.role in SHARING_ROLES), None)
        return PersonTeams(
            roles={m.team_id: m.role for m in rows},
            teams=[m.team for m in rows],
            shareable=shareable,
            default=default,
        )

    def default_team_of(self, user) -> Team | None:
        """The team `user` chose to share with by default, if they still may share with it."""
        if not getattr(user, "is_authenticated", False):
            return None
        m = (
            self.filter(user=user, is_default=True, role__in=SHARING_ROLES)
            .select_related("team")
            .first()
        )
        return m.team if m else None


@dataclass(frozen=True)
class PersonTeams:
    """One person's teams as Membership.objects.teams_of answers: the same as roles_of,
    Team.objects.for_member, .shareable_by and default_team_of, in their order."""

    roles: dict[int, str]
    teams: list[Team]
    shareable: list[Team]
    default: Team | None


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
    # The team the composer preselects for this person (at most one per person).
    is_default = models.BooleanField(default=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


# Viewers only look (and remix into their own work); editors and owners may also share
# their own work with the team; owners manage it.
SHARING_ROLES = (Membership.Role.EDITOR, Membership.Role.OWNER)
MANAGING_ROLES = (Membership.Role.OWNER,)


class InvitationQuerySet(models.QuerySet):
    def open(self) -> InvitationQuerySet:
        """Invitations that may still be accepted: not revoked, not expired, uses left."""
        from django.utils import timezone

        return self.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now(), uses__lt=models.F("max_uses")
        )


class Invitation(models.Model):
    """A link an owner hands out: whoever opens it (signed in) joins `team` as `role`, up
    to `max_uses` people, until `expires_at` or until it is revoked.

    The token is kept as it was made (not hashed) so that owners can copy the link again from
    the members page; it only ever admits someone to one team, in the role the owner chose,
    and the owner sees who joined through it and can revoke it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    max_uses = models.PositiveIntegerField(default=1)
    uses = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation to {self.team} as {self.role}"

    def refusal(self, now=None) -> str:
        """Why this invitation can no longer be accepted ("" while it can)."""
        from django.utils import timezone

        now = now or timezone.now()
        if self.revoked_at is not None:
            return "This invitation was revoked by an owner of the team."
        if self.expires_at <= now:
            return "This invitation has expired."
        if self.uses >= self.max_uses:
            return "This invitation has already been used."
        return ""

    @property
    def uses_left(self) -> int:
        return max(0, self.max_uses - self.uses)
