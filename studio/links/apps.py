from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "studio.links"
    label = "links"
    verbose_name = "Public links"

    def ready(self) -> None:
        from . import signals  # noqa: F401
