from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Theme(models.TextChoices):
    SYSTEM = "system", "System"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class Profile(models.Model):
    """Per-user facts the studio keeps; `upstream_user_id` is what the provider sees."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studio_profile"
    )
    # Random and stable for the life of the account: never the username, e-mail or pk.
    upstream_user_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The colour scheme the pages are drawn in; "system" follows prefers-color-scheme.
    theme = models.CharField(max_length=6, choices=Theme.choices, default=Theme.SYSTEM)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class ExternalIdentity(models.Model):
    """A person as an identity provider knows them: (issuer, sub) is how a provider sign-in
    finds its account again, whatever the person's name or e-mail becomes there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


def upstream_user_id_for(user, *, end_user: str = "") -> str:
    """What the provider is told of who asked: the person's random id, or for one of the
    end-users an API caller names, an id derived from both (stable, and never the name)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    if end_user:
        return str(uuid.uuid5(profile.upstream_user_id, end_user))
    return str(profile.upstream_user_id)


def theme_of(user) -> str:
    """The person's chosen theme; "system" for anyone without a choice (or not signed in)."""
    if not getattr(user, "is_authenticated", False):
        return Theme.SYSTEM
    theme = Profile.objects.filter(user=user).values_list("theme", flat=True).first()
    return theme or Theme.SYSTEM


def set_theme(user, theme: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"theme": Theme(theme)})


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        """Tokens that still authenticate: not revoked and not past their expiry."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal access token for the JSON API. Only a hash of it is kept: `prefix` finds
    the row, `digest` (SHA-256 of the whole token) proves it. It lives here rather than in
    the API app so that lower apps (generations' cards, usage, review) can name it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # A team token shares what it makes with that team and bills it. The team is named by
    # string: accounts sits below teams and imports nothing from it.
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # `token revoke USERNAME --name NAME` needs one live token per name.
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_token_per_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def hint(self) -> str:
        """What may be shown of a token after its creation: its public prefix."""
        return f"studio_pat_{self.prefix}…"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
