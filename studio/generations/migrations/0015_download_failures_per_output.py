from django.db import migrations, models


class Migration(migrations.Migration):
    """Download retries counted per output and bounded from the job's completion upstream:
    the per-job count is dropped (a row mid-retry starts its outputs' counts afresh)."""

    dependencies = [
        ("generations", "0014_generation_api_token"),
    ]

    operations = [
        migrations.RemoveField(model_name="generation", name="download_failures"),
        migrations.AddField(
            model_name="generation",
            name="download_failures",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="generation",
            name="upstream_done_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
