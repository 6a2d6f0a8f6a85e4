from django.db import migrations, models

from studio.core import schedules


class Migration(migrations.Migration):
    dependencies = [("generations", "0015_download_failures_per_output"), schedules.DJANGO_Q]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="purged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="generation",
            name="trashed_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        # Hourly: an item leaves the trash at most an hour past its 30 days.
        schedules.hourly("studio-purge-trash", "studio.generations.tasks.purge_trash"),
    ]
