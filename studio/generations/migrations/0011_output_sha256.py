import hashlib

from django.db import migrations, models

from studio.generations.provenance import has_c2pa

BATCH = 200


def fill_sha256(apps, schema_editor):
    """The SHA-256 of every stored original (and whether it carries C2PA markers), streamed
    from storage (never a whole file in memory) and saved a batch at a time, so a large
    gallery migrates in bounded memory."""
    Output = apps.get_model("generations", "Output")
    last = 0
    while True:
        batch = list(Output.objects.filter(sha256="", pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        for out in batch:
            try:
                with out.file.open("rb") as fh:
                    out.sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
                    out.c2pa = has_c2pa(fh)
            except (OSError, ValueError):
                out.sha256 = ""  # a missing file: nothing to recognise it by
        Output.objects.bulk_update([o for o in batch if o.sha256], ["sha256", "c2pa"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0010_pollease_fence"),
    ]

    operations = [
        migrations.AddField(
            model_name="output",
            name="sha256",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="output",
            name="c2pa",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(fill_sha256, migrations.RunPython.noop, elidable=True),
    ]
