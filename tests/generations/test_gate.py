"""The submission gate: one order of checks for every way in, and the checks of the apps
above generations plugged in through settings (SUBMISSION_CHECKS, SUBMISSION_RESERVATIONS)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from studio.generations import gate
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation
from studio.moderation import suspension
from studio.usage import budgets
from tests.generations.helpers import FORM, make_generation

pytestmark = pytest.mark.django_db

CLOSED = "tests.generations.test_gate.closed_for_maintenance"


def closed_for_maintenance(user) -> None:
    raise gate.SubmissionRefused("closed", "The studio is closed for maintenance.")


def refusal(user, data) -> gate.SubmissionRefused:
    with pytest.raises(gate.SubmissionRefused) as caught:
        gate.admit(user=user, form=GenerationForm(data, user=user))
    return caught.value


def test_checks_run_person_then_form_then_rate(owner, settings, task_queue):
    settings.SUBMIT_RATE_PER_MINUTE = 1
    make_generation(owner)  # the minute's one image is used
    invalid = {**FORM, "prompt": ""}
    suspension.suspend(user=owner, by=None, reason="spam")
    assert refusal(owner, invalid).reason == gate.SUSPENDED
    suspension.lift(user=owner, by=None)
    assert refusal(owner, invalid).reason == gate.INVALID
    rate = refusal(owner, FORM)
    assert rate.reason == gate.RATE_LIMITED and 0 < rate.retry_after <= 60
    assert "at most 1 images a minute" in rate.message


def test_a_valid_submission_within_the_limits_is_admitted(owner):
    gate.admit(user=owner, form=GenerationForm(FORM, user=owner))


def test_a_check_named_in_the_setting_refuses_the_form_and_retry(
    owner_client, owner, settings, task_queue
):
    failed = make_generation(owner)
    Generation.objects.filter(pk=failed.pk).update(state="failed", failure_code="generation_failed")
    settings.SUBMISSION_CHECKS = [CLOSED]
    assert owner_client.post("/generations/", FORM).status_code == 403
    assert owner_client.post(f"/generations/{failed.pk}/retry/").status_code == 403
    assert Generation.objects.count() == 1 and "submit" not in task_queue.names()
    settings.SUBMISSION_CHECKS = []
    assert owner_client.post("/generations/", FORM).status_code == 302


def test_the_budget_refuses_through_the_reservation_setting(
    owner_client, owner, settings, task_queue
):
    budgets.set_cap(user=owner, monthly=Decimal("0.01"))
    assert owner_client.post("/generations/", FORM).status_code == 400
    assert not Generation.objects.exists()
    settings.SUBMISSION_RESERVATIONS = []
    assert owner_client.post("/generations/", FORM).status_code == 302
    assert Generation.objects.count() == 1


def test_reservation_refusals_are_the_gates(owner):
    budgets.set_cap(user=owner, monthly=Decimal("0.01"))
    with pytest.raises(gate.SubmissionRefused) as caught, transaction.atomic():
        gate.reserve(user=owner, team=None, estimate=Decimal("0.05"))
    assert caught.value.reason == gate.OVER_BUDGET and "budget" in caught.value.message


@pytest.mark.django_db(transaction=True)
def test_reserve_outside_the_saving_transaction_is_a_bug(owner):
    with pytest.raises(RuntimeError):
        gate.reserve(user=owner, team=None, estimate=Decimal("0.05"))
