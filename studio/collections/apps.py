from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "studio.collections"
    label = "collections"
    verbose_name = "Collections"
