from django.db import migrations

PURGE = "studio.uploads.tasks.purge_stale"
NAME = "studio-purge-staged-uploads"


def create_schedule(apps, schema_editor):
    # Hourly: staged uploads live a day, so a stale one lingers at most an hour past that;
    # the per-user cap in staging.py bounds the disk meanwhile.
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME, defaults={"func": PURGE, "schedule_type": "H", "repeats": -1}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("uploads", "0002_staged_origin"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
