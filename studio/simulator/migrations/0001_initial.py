"""The simulator's models, moved here from `studio.upstream` (see upstream 0002).

The tables already exist (upstream 0001 made them, under the names `db_table` keeps), so
this only adds the models to this app's state. Existing content types are relabelled so
admin permissions and log entries follow the models.
"""

import django.utils.timezone
from django.db import migrations, models

import studio.simulator.models

MODELS = ["simulatedjob", "simulatortrigger"]


def _relabel(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not types.filter(app_label=new, model=model).exists():
            types.filter(app_label=old, model=model).update(app_label=new)


def relabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, old="upstream", new="simulator")


def restore_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, old="simulator", new="upstream")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("upstream", "0002_simulator_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SimulatedJob",
                    fields=[
                        (
                            "id",
                            models.CharField(
                                default=studio.simulator.models._new_job_id,
                                editable=False,
                                max_length=36,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now
                            ),
                        ),
                        ("user_id", models.CharField(blank=True, max_length=200)),
                        ("prompt", models.TextField()),
                        ("type", models.CharField(default="image", max_length=12)),
                        ("model", models.CharField(default="uni-1", max_length=12)),
                        ("aspect_ratio", models.CharField(default="1:1", max_length=5)),
                        ("style", models.CharField(default="auto", max_length=10)),
                        ("output_format", models.CharField(default="png", max_length=4)),
                        ("web_search", models.BooleanField(default=False)),
                        ("image_ref", models.JSONField(blank=True, default=list)),
                        ("source", models.JSONField(blank=True, null=True)),
                        ("source_file", models.CharField(blank=True, max_length=200)),
                        ("forced_outcome", models.CharField(blank=True, max_length=40)),
                    ],
                    options={"db_table": "upstream_simulatedjob", "ordering": ["-created_at"]},
                ),
                migrations.CreateModel(
                    name="SimulatorTrigger",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=64, unique=True)),
                        ("status", models.PositiveSmallIntegerField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={"db_table": "upstream_simulatortrigger"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
