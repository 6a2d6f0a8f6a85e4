from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "studio.upstream"
    label = "upstream"
    verbose_name = "Upstream (Luma Agents API)"
