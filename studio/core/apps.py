from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "studio.core"
    label = "core"
    verbose_name = "Studio core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the start-up system checks)
