"""Django's `migrate`, without the start-up secret check (studio.core.checks): applying
migrations serves nobody, and an image build or a compose `migrate` job may run before the
production secret is handed to the process."""

from django.core.management.commands import migrate

from studio.core.checks import not_serving


class Command(migrate.Command):
    def check(self, *args, **kwargs):
        with not_serving():
            return super().check(*args, **kwargs)
