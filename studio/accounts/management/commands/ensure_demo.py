from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-studio"


class Command(BaseCommand):
    help = "Create the demo account (an admin) if it does not exist, and print its login."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            # Its password is printed here and written in the source: on a server reachable
            # by others it would be an open admin account.
            raise CommandError(
                "ensure_demo creates an admin with a known password, so it runs only with "
                "DJANGO_DEBUG=1 (as `make run` sets). On a server, use createsuperuser."
            )
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            self.stdout.write(f"Created the demo account {DEMO_USERNAME!r}.")
        self.stdout.write(f"Demo login: username {DEMO_USERNAME}  password {DEMO_PASSWORD}")
