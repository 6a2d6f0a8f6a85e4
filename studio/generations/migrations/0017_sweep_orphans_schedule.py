from django.db import migrations

from studio.core import schedules


class Migration(migrations.Migration):
    dependencies = [("generations", "0016_generation_trash"), schedules.DJANGO_Q]

    operations = [
        # Daily: orphan files are only removed past media_check.MIN_AGE (an hour) anyway, and
        # listing a large bucket more often than that would cost more than the files do.
        schedules.daily("studio-sweep-orphans", "studio.generations.tasks.sweep_orphans"),
    ]
