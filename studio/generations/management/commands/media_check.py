"""`manage.py media_check [--delete]`: the storage against the rows (see media_check.py)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from studio.generations import media_check


class Command(BaseCommand):
    help = (
        "List files no row names and rows whose files are missing (on the disk or S3); "
        "with --delete, remove those files (and staged uploads whose file is gone)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--delete",
            action="store_true",
            help="remove the files no row names (rows of outputs and inputs are only listed)",
        )
        parser.add_argument(
            "--min-age",
            type=float,
            default=media_check.MIN_AGE.total_seconds(),
            help="seconds a file must have existed to count as an orphan (default 3600): "
            "a younger one may belong to a download whose row is not committed yet",
        )

    def handle(self, *args, delete: bool = False, min_age: float = 3600, **options) -> None:
        if min_age < 0:
            raise CommandError("--min-age must be 0 or more seconds")
        report = media_check.check(min_age=timedelta(seconds=min_age))
        for name in report.orphans:
            self.stdout.write(f"orphan file: {name}")
        for row in report.missing:
            self.stdout.write(f"missing file: {row.name} (named by {row.row})")
        summary = (
            f"{len(report.orphans)} file(s) without a row, {len(report.missing)} row(s) "
            f"without their file"
        )
        if report.young:
            summary += f", {report.young} recent file(s) without a row left alone"
        self.stdout.write(summary)
        if delete:
            files, rows = media_check.repair(report)
            self.stdout.write(f"removed {files} file(s) and {rows} staged upload row(s)")
            unresolved = len(report.orphans) - files + len(report.missing) - rows
        else:
            unresolved = len(report.orphans) + len(report.missing)
        if unresolved:
            # Non-zero, so a cron job or a monitor notices; the lines above say what.
            raise CommandError(f"{unresolved} problem(s) left", returncode=1)
