from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0007_generation_lineage"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[],
            options={
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("generations.polllease",),
        ),
    ]
