from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "studio.generations"
    label = "generations"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers; needs the models loaded)
