from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "studio.generations"
    label = "generations"

    def ready(self) -> None:
        from studio.core import metrics as studio_metrics

        from . import metrics, signals  # noqa: F401  (signals connects the receivers)

        studio_metrics.register("generations", metrics.collect_state)
