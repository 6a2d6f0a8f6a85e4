from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "studio.usage"
    label = "usage"
    verbose_name = "Usage and budgets"

    def ready(self) -> None:
        from studio.core import metrics as studio_metrics

        from . import metrics

        studio_metrics.register("usage", metrics.collect)
