from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "studio.teams"
    label = "teams"

    def ready(self) -> None:
        from studio.accounts.signals import provider_signed_in

        from . import claims

        provider_signed_in.connect(claims.on_provider_sign_in, dispatch_uid="teams.claims")
