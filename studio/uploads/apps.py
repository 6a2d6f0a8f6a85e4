from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "studio.uploads"
    label = "uploads"
    verbose_name = "Uploads"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers; needs the models loaded)
