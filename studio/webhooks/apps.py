from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "studio.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from studio.core import metrics

        from .middleware import remember_preference

        user_logged_in.connect(remember_preference, dispatch_uid="webhooks-email-flag")

        from . import metrics as webhook_metrics

        metrics.register("webhooks", webhook_metrics.collect)
