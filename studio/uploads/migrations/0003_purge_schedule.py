from django.db import migrations

from studio.core import schedules


class Migration(migrations.Migration):
    dependencies = [("uploads", "0002_staged_origin"), schedules.DJANGO_Q]
    # Hourly: staged uploads live a day, so a stale one lingers at most an hour past that;
    # the per-user cap in staging.py bounds the disk meanwhile.
    operations = [
        schedules.hourly("studio-purge-staged-uploads", "studio.uploads.tasks.purge_stale")
    ]
