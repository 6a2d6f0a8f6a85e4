"""E-mail when a job ends (Django's in-memory backend): sent when the person is away, not
while a studio page of theirs checks in, never when they turned it off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from studio.generations.models import Batch, Generation, State
from studio.webhooks.middleware import SESSION_FLAG
from studio.webhooks.models import NotificationPreference
from tests.generations.helpers import make_generation
from tests.webhooks.helpers import end_job

LONG_AGO = timedelta(minutes=3)


@pytest.fixture
def emailed(owner):
    owner.email = "owner@example.com"
    owner.save()
    return NotificationPreference.objects.create(
        user=owner, email_when_done=True, last_seen_at=timezone.now() - LONG_AGO
    )


def long_job(owner, state=State.COMPLETED, **fields):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(created_at=timezone.now() - LONG_AGO)
    gen.refresh_from_db()
    return end_job(gen, state, completed_at=timezone.now(), **fields)


def test_a_long_job_ending_while_away_is_e_mailed(owner, emailed, webhook_tasks):
    gen = long_job(owner)
    assert webhook_tasks.names() == ["notify_by_email"]
    webhook_tasks.run_all()
    [message] = mail.outbox
    assert message.to == ["owner@example.com"]
    assert message.subject == "Studio: your image is ready"
    assert f"/generations/{gen.pk}/" in message.body


def test_a_failure_says_why(owner, emailed, webhook_tasks):
    long_job(owner, State.FAILED, code="content_moderated", reason="the prompt was refused")
    webhook_tasks.run_all()
    [message] = mail.outbox
    assert "content_moderated" in message.subject
    assert "the prompt was refused" in message.body


def test_nothing_while_a_studio_page_checks_in(owner, emailed, client, webhook_tasks):
    client.force_login(owner)
    session = client.session
    session[SESSION_FLAG] = True
    session.save()
    client.get("/")  # the studio page (its poll does the same) checks in
    emailed.refresh_from_db()
    assert timezone.now() - emailed.last_seen_at < timedelta(seconds=5)
    long_job(owner)
    webhook_tasks.run_all()
    assert mail.outbox == []


def test_never_when_turned_off(owner, emailed, webhook_tasks):
    emailed.email_when_done = False
    emailed.save()
    long_job(owner)
    assert webhook_tasks.names() == []
    from studio.webhooks import tasks

    assert tasks.notify_by_email(Generation.objects.get().pk) == "not sent"
    assert mail.outbox == []


def test_off_by_default(owner, webhook_tasks):
    owner.email = "owner@example.com"
    owner.save()
    long_job(owner)
    webhook_tasks.run_all()
    assert mail.outbox == []


def test_a_short_single_job_is_not_e_mailed(owner, emailed, webhook_tasks):
    end_job(make_generation(owner))
    webhook_tasks.run_all()
    assert mail.outbox == []


def test_a_batch_sends_one_message_when_its_last_job_ends(owner, emailed, webhook_tasks):
    batch = Batch.objects.create(user=owner, size=3)
    gens = []
    for position in (1, 2, 3):
        gen = make_generation(owner)
        Generation.objects.filter(pk=gen.pk).update(batch=batch, batch_position=position)
        gen.refresh_from_db()
        gens.append(gen)
    end_job(gens[0])
    end_job(gens[1], State.FAILED)
    webhook_tasks.run_all()
    assert mail.outbox == []  # one is still running
    end_job(gens[2])
    webhook_tasks.run_all()
    from studio.webhooks import tasks

    assert tasks.notify_by_email(gens[2].pk) == "not sent"  # a task run twice sends once
    [message] = mail.outbox
    assert message.subject == "Studio: 2 of 3 images ready"
    assert f"/batches/{batch.pk}/" in message.body


def test_no_address_no_message(owner, emailed, webhook_tasks):
    owner.email = ""
    owner.save()
    long_job(owner)
    webhook_tasks.run_all()
    assert mail.outbox == []


def test_turning_it_on_at_sign_in_marks_the_session(owner, emailed, client):
    client.login(username="owner", password="pw-owner-123")
    assert client.session.get(SESSION_FLAG) is True
