import uuid

from django.conf import settings
from django.db import models


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


def upstream_user_id_for(user) -> str:
    profile, _ = Profile.objects.get_or_create(user=user)
    return str(profile.upstream_user_id)


def theme_of(user) -> str:
    """The person's chosen theme; "system" for anyone without a choice (or not signed in)."""
    if not getattr(user, "is_authenticated", False):
        return Theme.SYSTEM
    theme = Profile.objects.filter(user=user).values_list("theme", flat=True).first()
    return theme or Theme.SYSTEM


def set_theme(user, theme: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"theme": Theme(theme)})
