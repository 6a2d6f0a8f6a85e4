from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ModerationConfig(AppConfig):
    name = "studio.moderation"
    label = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from .groups import ensure_reviewers_group

        # After auth's own post_migrate has made the permissions (apps run in order).
        post_migrate.connect(ensure_reviewers_group, sender=self)
