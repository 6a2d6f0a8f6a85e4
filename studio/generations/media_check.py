"""Storage against the rows: files no row names, and rows whose files are gone.

Files are written before their rows commit (a download stores the original and its thumbnail,
then completes the row), and removed after their rows are deleted (on commit). A process
killed between the two, or a delete the storage refused (an S3 5xx, a full disk), leaves a
file no row names; a file removed by hand leaves a row without its file. `check()` finds both
by listing the folders the rows' files live in, through the storage API, so the disk and an
S3 bucket are checked alike (`manage.py media_check`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from studio.core.files import delete_files
from studio.uploads.models import StagedUpload

from .models import Output, Reference

# The folders the rows' files are written to (their fields' `upload_to`): nothing else in
# the storage is looked at (the simulator's cache, for one, is not ours to judge).
FOLDERS = ("outputs", "thumbs", "inputs", "staged")

# A file younger than this may belong to a row not committed yet (a download storing its
# outputs): it is not called an orphan, so `--delete` never races a running download.
MIN_AGE = timedelta(hours=1)


@dataclass
class Missing:
    """A row that names a file the storage does not have."""

    model: type
    pk: int
    row: str
    name: str


@dataclass
class Report:
    orphans: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    # Orphans left alone because they are younger than the minimum age.
    young: int = 0


def stored_files() -> Iterator[str]:
    """Every file under FOLDERS, by its storage name."""
    for folder in FOLDERS:
        yield from _walk(default_storage, folder)


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:  # the disk: a folder nothing was written to yet
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _walk(storage, f"{folder}/{sub}")


def named_files() -> Iterator[Missing]:
    """Every file a row names (as a Missing, should the storage not have it)."""
    for pk, gen, original, thumb in Output.objects.values_list(
        "pk", "generation_id", "file", "thumbnail"
    ).iterator():
        for name in (original, thumb):
            if name:
                yield Missing(Output, pk, f"output {pk} of generation {gen}", name)
    for pk, gen, name in (
        Reference.objects.exclude(file="").values_list("pk", "generation_id", "file").iterator()
    ):
        yield Missing(Reference, pk, f"input {pk} of generation {gen}", name)
    for pk, name in StagedUpload.objects.exclude(file="").values_list("pk", "file").iterator():
        yield Missing(StagedUpload, pk, f"staged upload {pk}", name)


def check(*, min_age: timedelta = MIN_AGE) -> Report:
    """Compare the storage listing with the rows (listed first, so a file whose row commits
    while this runs is named by the time the rows are read)."""
    storage = default_storage
    stored = set(stored_files())
    report = Report()
    named = set()
    for row in named_files():
        named.add(row.name)
        if row.name not in stored and not _exists_elsewhere(storage, row.name):
            report.missing.append(row)
    cutoff = timezone.now() - min_age
    for name in sorted(stored - named):
        if min_age and _modified(storage, name) > cutoff:
            report.young += 1
        else:
            report.orphans.append(name)
    return report


def _exists_elsewhere(storage: Storage, name: str) -> bool:
    """A name outside FOLDERS (an older version's layout) is asked for directly."""
    if name.split("/", 1)[0] in FOLDERS:
        return False
    return storage.exists(name)


def _modified(storage: Storage, name: str) -> datetime:
    try:
        return storage.get_modified_time(name)
    except (OSError, NotImplementedError):
        # Gone meanwhile, or a storage without times: old enough to report.
        return datetime.min.replace(tzinfo=UTC)


def repair(report: Report) -> tuple[int, int]:
    """Remove the orphan files and the staged uploads whose file is gone (a convenience
    copy: nothing is lost with it). Outputs and inputs whose files are missing are kept and
    reported: the row is the record of a job the person made (and paid for), and the file
    may be restored from a backup. Returns (files removed, rows removed)."""
    delete_files(report.orphans)
    left = [name for name in report.orphans if default_storage.exists(name)]
    staged = [m.pk for m in report.missing if m.model is StagedUpload]
    rows = StagedUpload.objects.filter(pk__in=staged).delete()[0] if staged else 0
    return len(report.orphans) - len(left), rows


def sweep() -> tuple[int, int]:
    """Remove the orphan files only (rows are never touched here: a missing file is for an
    operator to look at). Returns (removed, still there): a storage that refuses again is
    tried again at the next sweep."""
    orphans = check(min_age=MIN_AGE).orphans
    delete_files(orphans)
    left = sum(1 for name in orphans if default_storage.exists(name))
    return len(orphans) - left, left
