"""The worker entry point for `make run`, compose and the multi-worker tests.

Minimal for now (issue 13 needed the name; issue 10 makes it self-healing): re-drive the
rows that were in flight when the last worker stopped, then run the django-q2 cluster.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Re-drive in-flight generations, then run the django-q2 cluster until stopped."

    def handle(self, *args, **options) -> None:
        from studio.generations import tasks

        # The Redis broker loses in-flight tasks on a crash: the rows, not the queue, say
        # what is left to do. The watchdog's lease and claims make two workers safe here.
        self.stdout.write(f"studio_worker: at start, {tasks.watchdog()}")
        call_command("qcluster")
