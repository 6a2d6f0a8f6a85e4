from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "studio.simulator"
    label = "simulator"
    verbose_name = "Simulator (of the Luma Agents API)"
