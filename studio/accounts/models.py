import uuid

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Per-user facts the studio keeps; `upstream_user_id` is what the provider sees."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studio_profile"
    )
    # Random and stable for the life of the account: never the username, e-mail or pk.
    upstream_user_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return f"profile of {self.user}"


def upstream_user_id_for(user) -> str:
    profile, _ = Profile.objects.get_or_create(user=user)
    return str(profile.upstream_user_id)
