from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-studio"


class Command(BaseCommand):
    help = "Create the demo account (an admin) if it does not exist, and print its login."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            self.stdout.write(f"Created the demo account {DEMO_USERNAME!r}.")
        self.stdout.write(f"Demo login: username {DEMO_USERNAME}  password {DEMO_PASSWORD}")
