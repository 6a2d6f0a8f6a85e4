"""Deliveries against a real receiver on 127.0.0.1 that verifies each one with the
`standardwebhooks` package."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from studio.generations.models import State
from studio.webhooks import delivery, metrics, outbox, tasks
from studio.webhooks.models import Attempt, Delivery, Endpoint
from tests.generations.helpers import make_generation
from tests.webhooks.helpers import ended_job


def test_a_completed_job_is_delivered_signed_with_the_api_object(
    owner, endpoint, receiver, webhook_tasks
):
    gen = ended_job(owner)
    assert webhook_tasks.names() == ["deliver"]
    webhook_tasks.run_all()
    [got] = receiver.received
    assert got.verified_with == [endpoint.secret]
    assert got.payload["type"] == "generation.completed"
    assert got.payload["timestamp"].endswith("Z")
    data = got.payload["data"]
    assert data["id"] == str(gen.pk)
    assert data["state"] == "completed"
    assert set(data) == {
        "id", "created_at", "model", "state", "type", "failure_code", "failure_reason", "output"
    }  # fmt: skip
    assert got.headers["webhook-id"].startswith("msg_")
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def test_a_failed_job_sends_its_failure(owner, endpoint, receiver, webhook_tasks):
    ended_job(owner, State.FAILED, code="content_moderated", reason="not allowed")
    webhook_tasks.run_all()
    data = receiver.received[0].payload["data"]
    assert receiver.received[0].payload["type"] == "generation.failed"
    assert (data["state"], data["failure_code"], data["failure_reason"]) == (
        "failed",
        "content_moderated",
        "not allowed",
    )


def test_an_endpoint_gets_only_the_events_it_asked_for(owner, endpoint, receiver, webhook_tasks):
    endpoint.events = ["generation.failed"]
    endpoint.save()
    ended_job(owner)
    assert not Delivery.objects.exists()
    assert webhook_tasks.names() == []


def test_other_peoples_jobs_are_not_sent(owner, outsider, endpoint, webhook_tasks):
    ended_job(outsider)
    assert not Delivery.objects.exists()


def test_500_then_200_is_retried_with_the_same_webhook_id(owner, endpoint, receiver, webhook_tasks):
    receiver.answers = [500, 200]
    ended_job(owner)
    webhook_tasks.run_all()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert second.verified_with == [endpoint.secret]
    statuses = list(Attempt.objects.order_by("at", "pk").values_list("status", flat=True))
    assert statuses == [500, 200]
    d = Delivery.objects.get()
    assert (d.state, d.attempts) == (Delivery.State.DELIVERED, 2)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_later_retries_follow_the_schedule_and_then_give_up(
    owner, endpoint, receiver, webhook_tasks, settings
):
    receiver.answers = [503]
    ended_job(owner)
    webhook_tasks.run_all()  # the first try and the quick first retry
    d = Delivery.objects.get()
    assert d.attempts == 2 and d.state == Delivery.State.PENDING
    wait = (d.next_attempt_at - timezone.now()).total_seconds()
    assert 55 < wait <= 60
    assert tasks.deliver_due() == "0 sent"  # not due yet
    for _ in range(2):
        Delivery.objects.update(next_attempt_at=timezone.now())
        tasks.deliver_due()
    d.refresh_from_db()
    assert (d.state, d.attempts) == (Delivery.State.FAILED, 4)
    assert Attempt.objects.filter(delivery=d).count() == 4


def test_410_disables_the_endpoint(owner, endpoint, receiver, webhook_tasks):
    endpoint.user.email = "owner@example.com"
    endpoint.user.save()
    receiver.answers = [410]
    ended_job(owner)
    webhook_tasks.run_all()
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "410" in endpoint.disabled_reason
    assert Delivery.objects.get().state == Delivery.State.FAILED
    assert len(receiver.received) == 1
    ended_job(owner)  # a disabled endpoint gets nothing more
    assert Delivery.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]


def test_a_receiver_that_hangs_times_out_and_is_retried(
    owner, endpoint, receiver, webhook_tasks, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [60]
    receiver.answers = [("hang", 3)]
    ended_job(owner)
    webhook_tasks.run_all()
    attempt = Attempt.objects.get()
    assert attempt.status is None
    assert "no answer within 0.5 s" in attempt.error
    assert attempt.duration_ms < 2000
    assert Delivery.objects.get().state == Delivery.State.PENDING


@pytest.mark.parametrize("to", ["/elsewhere", "http://169.254.169.254/latest/meta-data/"])
def test_a_redirect_is_not_followed(owner, endpoint, receiver, webhook_tasks, settings, to):
    settings.WEBHOOK_RETRY_SCHEDULE = [60]
    receiver.answers = [("redirect", to)]
    ended_job(owner)
    webhook_tasks.run_all()
    assert [r.path for r in receiver.received] == ["/hook"]
    attempt = Attempt.objects.get()
    assert attempt.status == 302
    assert "not followed" in attempt.error
    assert Delivery.objects.get().state == Delivery.State.PENDING  # a 3xx is a failure


def test_the_answer_is_read_only_up_to_the_cap(owner, endpoint, receiver, webhook_tasks, settings):
    settings.WEBHOOK_READ_CAP_BYTES = 1000
    receiver.answers = [("body", 200, b"x" * 5_000_000)]
    ended_job(owner)
    webhook_tasks.run_all()
    attempt = Attempt.objects.get()
    assert attempt.status == 200
    assert attempt.excerpt == "x" * 500


def test_a_rolled_back_state_change_sends_nothing(owner, endpoint, receiver, webhook_tasks):
    gen = make_generation(owner)
    with pytest.raises(RuntimeError), transaction.atomic():
        gen.set_state(State.COMPLETED)
        gen.save()
        outbox.on_transition(gen, State.PROCESSING, State.COMPLETED)
        raise RuntimeError("the transaction fails after the hook ran")
    assert not Delivery.objects.exists()
    assert webhook_tasks.names() == []
    tasks.deliver_due()
    assert receiver.received == []


def test_a_lost_task_is_sent_by_the_sweep(owner, endpoint, receiver, webhook_tasks):
    ended_job(owner)
    webhook_tasks.calls.clear()  # the broker lost it
    assert tasks.deliver_due() == "1 sent"
    assert len(receiver.received) == 1
    assert tasks.deliver_due() == "0 sent"


def test_a_claimed_delivery_is_not_sent_twice(owner, endpoint, receiver, webhook_tasks):
    ended_job(owner)
    d = Delivery.objects.get()
    assert delivery.claim(d.pk) is not None
    assert delivery.claim(d.pk) is None
    assert tasks.deliver(d.pk) == "not due"
    assert receiver.received == []


def test_after_a_rotation_both_secrets_sign_for_a_day(owner, endpoint, receiver, webhook_tasks):
    old = endpoint.secret
    new = endpoint.rotate()
    endpoint.save()
    receiver.secrets = [old, new]
    ended_job(owner)
    webhook_tasks.run_all()
    got = receiver.received[0]
    assert got.verified_with == [old, new]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Endpoint.objects.update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    ended_job(owner)
    webhook_tasks.run_all()
    assert receiver.received[1].verified_with == [new]


def test_three_days_of_failures_disable_the_endpoint_and_tell_its_person(
    owner, endpoint, receiver, webhook_tasks, settings, django_capture_on_commit_callbacks
):
    owner.email = "owner@example.com"
    owner.save()
    settings.WEBHOOK_RETRY_SCHEDULE = [3600]
    receiver.answers = [500]
    ended_job(owner)
    webhook_tasks.run_all()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is not None
    Endpoint.objects.update(failing_since=timezone.now() - timedelta(days=3, seconds=1))
    Delivery.objects.update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        tasks.deliver_due()
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "3 days" in endpoint.disabled_reason
    [message] = mail.outbox
    assert message.to == ["owner@example.com"]
    assert endpoint.url in message.body


def test_a_success_ends_a_run_of_failures(owner, endpoint, receiver, webhook_tasks):
    Endpoint.objects.update(failing_since=timezone.now() - timedelta(days=2))
    ended_job(owner)
    webhook_tasks.run_all()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_replay_sends_the_same_message_again(owner, endpoint, receiver, webhook_tasks):
    ended_job(owner)
    webhook_tasks.run_all()
    d = Delivery.objects.get()
    assert tasks.replay(d.pk) == "200"
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert Attempt.objects.filter(replay=True).count() == 1


def test_counters(owner, endpoint, receiver, webhook_tasks):
    receiver.answers = [500, 200]
    ended_job(owner)
    webhook_tasks.run_all()
    counts = metrics.counts()
    assert counts["deliveries_total"] == 1
    assert counts["attempts_total"] == 2
    assert counts["retries_total"] == 1
    assert counts["failed_attempts_total"] == 1
    assert counts["delivered_total"] == 1


def test_the_counters_reach_metrics(owner, endpoint, receiver, webhook_tasks):
    ended_job(owner)
    webhook_tasks.run_all()
    names = {family.name: family.samples[0].value for family in metrics.collect()}
    assert names["studio_webhook_attempts"] == 1
    assert names["studio_webhook_delivered"] == 1
    assert names["studio_webhook_endpoints_disabled"] == 0


def test_the_sweep_prunes_finished_deliveries_past_the_keep_period(
    owner, endpoint, settings, webhook_tasks
):
    settings.WEBHOOK_KEEP_DAYS = 30
    long_ago = timezone.now() - timedelta(days=31)

    def made(state, created_at):
        d = Delivery.objects.create(
            endpoint=endpoint,
            event="generation.completed",
            body="{}",
            state=state,
            created_at=created_at,
            next_attempt_at=None,
        )
        Attempt.objects.create(delivery=d, status=200)
        return d

    old_done = made(Delivery.State.DELIVERED, long_ago)
    old_failed = made(Delivery.State.FAILED, long_ago)
    old_pending = made(Delivery.State.PENDING, long_ago)  # still owed to its receiver
    recent = made(Delivery.State.DELIVERED, timezone.now() - timedelta(days=29))

    assert tasks.deliver_due() == "0 sent, 2 pruned"
    kept = set(Delivery.objects.values_list("pk", flat=True))
    assert kept == {old_pending.pk, recent.pk}
    assert not Attempt.objects.filter(delivery_id__in=[old_done.pk, old_failed.pk]).exists()
    assert Attempt.objects.filter(delivery_id__in=kept).count() == 2
    assert tasks.deliver_due() == "0 sent"
