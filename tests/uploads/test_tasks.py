"""The uploads app's scheduled housekeeping: stale staged uploads are purged on their own
Schedule, not by another app's task."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from studio.uploads import tasks
from studio.uploads.models import StagedUpload

from .test_staging import staged_for

pytestmark = pytest.mark.django_db


def test_purge_task_removes_only_stale_uploads(owner, django_capture_on_commit_callbacks):
    old = staged_for(owner, "old.png")
    staged_for(owner, "fresh.png")
    StagedUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=1, hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_stale() == "1 stale uploads removed"
    assert StagedUpload.objects.get().original_name == "fresh.png"
    assert tasks.purge_stale() == "ok"


def test_a_schedule_runs_the_purge_every_hour():
    schedule = Schedule.objects.get(name="studio-purge-staged-uploads")
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.HOURLY, -1)
    assert import_string(schedule.func) is tasks.purge_stale
