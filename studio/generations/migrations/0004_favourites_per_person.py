"""A star belongs to the person who set it: the `favourite` boolean becomes a Favourite row
of the generation's author, and shared rows get a `shared_at` (their creation time, the
moment they were shared at submit)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def stars_to_rows(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    Favourite = apps.get_model("generations", "Favourite")
    starred = Generation.objects.filter(favourite=True).values_list("pk", "user_id", "updated_at")
    Favourite.objects.bulk_create(
        [Favourite(generation_id=pk, user_id=uid, created_at=at) for pk, uid, at in starred],
        batch_size=1000,
    )
    Generation.objects.filter(team__isnull=False).update(shared_at=F("created_at"))


def rows_to_stars(apps, schema_editor):
    # Back to one star per generation: only the author's survives (a teammate's star had no
    # place to live before).
    Generation = apps.get_model("generations", "Generation")
    Favourite = apps.get_model("generations", "Favourite")
    own = Favourite.objects.filter(user_id=F("generation__user_id"))
    Generation.objects.filter(pk__in=own.values("generation_id")).update(favourite=True)


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0003_batches"),
        ("teams", "0002_membership_default_team"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Favourite",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "generation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="favourites",
                        to="generations.generation",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="favourites",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "generation"), name="one_star_per_person"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="generation",
            name="shared_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(stars_to_rows, rows_to_stars),
        migrations.RemoveField(model_name="generation", name="favourite"),
        migrations.AddIndex(
            model_name="generation",
            index=models.Index(fields=["team", "shared_at"], name="gen_team_shared"),
        ),
    ]
