"""The simulator's models moved to their own app, `studio.simulator`.

State only: the tables stay where they are (the simulator's models name them in
`db_table`), and `simulator.0001_initial` adds the models back to that app's state.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("upstream", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SimulatedJob"),
                migrations.DeleteModel(name="SimulatorTrigger"),
            ],
            database_operations=[],
        )
    ]
