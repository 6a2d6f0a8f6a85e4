"""Monthly caps: refused exactly past the boundary, for a person and a team, on every
submit path (create, retry, remix), before anything is saved or sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from studio.generations import services
from studio.generations.models import Generation, State
from studio.uploads.models import StagedUpload
from studio.usage import budgets, prices
from tests.generations.helpers import DEFAULTS, FORM, form_values, image_bytes, make_generation

from .helpers import job, team_value

PRICE = Decimal("0.0404")  # FORM: uni-1, text to image
CENT = Decimal("0.01")


def _spend(user, amount: Decimal, *, team=None, state=State.COMPLETED):
    """This month's jobs of `user` worth `amount` in all."""
    return job(user, price=str(amount), team=team, state=state, at=timezone.now())


def _post(client, **extra):
    return client.post("/generations/", {**FORM, **extra})


@pytest.mark.parametrize(
    ("already", "passes"),
    [
        (Decimal("5.00") - PRICE - CENT, True),  # one cent under the cap
        (Decimal("5.00") - PRICE, True),  # exactly at the cap
        (Decimal("5.00") - PRICE + CENT, False),  # one cent over
    ],
)
def test_person_cap_at_the_boundary(owner_client, owner, task_queue, already, passes):
    budgets.set_cap(user=owner, monthly=Decimal("5.00"))
    _spend(owner, already)
    before = Generation.objects.count()
    response = _post(owner_client)
    if passes:
        assert response.status_code == 302
        assert Generation.objects.count() == before + 1
    else:
        assert response.status_code == 400
        assert Generation.objects.count() == before
        assert task_queue.names() == []
        left = Decimal("5.00") - already
        assert (
            f"Your monthly budget of $5.00 has {prices.usd(left)} left; "
            "this image costs about $0.0404."
        ) in response.content.decode()


@pytest.mark.parametrize(
    ("already", "passes"),
    [(Decimal("50") - PRICE - CENT, True), (Decimal("50") - PRICE + CENT, False)],
)
def test_team_cap_at_the_boundary(owner_client, owner, member, team, task_queue, already, passes):
    budgets.set_cap(team=team, monthly=Decimal("50"))
    _spend(member, already, team=team)  # a teammate's spend counts against the team
    response = _post(owner_client, team=team_value(team))
    assert (response.status_code == 302) is passes
    if not passes:
        assert response.status_code == 400
        assert "The monthly budget of team Design of $50.00 has" in response.content.decode()
    # Not shared with the team: the team's cap does not apply.
    assert _post(owner_client).status_code == 302


def test_in_flight_jobs_count_failed_ones_do_not(owner_client, owner, task_queue):
    budgets.set_cap(user=owner, monthly=Decimal("0.10"))
    _spend(owner, Decimal("0.05"), state=State.PENDING)
    _spend(owner, Decimal("5.00"), state=State.FAILED)
    assert _post(owner_client).status_code == 302  # 0.05 + 0.0404 <= 0.10
    assert _post(owner_client).status_code == 400  # + the one just sent, still pending


def test_last_month_does_not_count(owner_client, owner, task_queue):
    budgets.set_cap(user=owner, monthly=Decimal("1.00"))
    start = budgets.prices.month_start()
    job(owner, price="1.00", at=start - timezone.timedelta(seconds=1))
    assert _post(owner_client).status_code == 302


def test_no_cap_no_limit_and_a_cleared_cap_lifts_it(owner_client, owner, task_queue):
    _spend(owner, Decimal("100"))
    assert _post(owner_client).status_code == 302
    budgets.set_cap(user=owner, monthly=Decimal("1"))
    assert _post(owner_client).status_code == 400
    budgets.set_cap(user=owner, monthly=None)
    assert _post(owner_client).status_code == 302


def test_refused_htmx_submit_swaps_the_form_in_with_400(owner_client, owner, task_queue):
    budgets.set_cap(user=owner, monthly=Decimal("0.04"))
    png = image_bytes("PNG", size=(40, 30))
    response = owner_client.post(
        "/generations/",
        {**FORM, "prompt": "keep me", "image_ref": SimpleUploadedFile("r.png", png, "image/png")},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#composer-form"
    body = response.content.decode()
    assert 'id="composer-form"' in body and "has $0.04 left" in body
    values = form_values(body)
    assert values["prompt"] == ["keep me"]
    # The upload that passed is kept, so the form need not be filled in again.
    assert len(values["kept_ref"]) == 1
    assert StagedUpload.objects.filter(user=owner).count() == 1
    assert Generation.objects.count() == 0 and task_queue.names() == []


def test_retry_is_refused_over_budget(owner_client, owner, task_queue):
    failed = job(owner, state=State.FAILED, failure_code="generation_failed")
    budgets.set_cap(user=owner, monthly=Decimal("0.04"))
    # Without htmx the browser goes back to the detail page (not left on the retry URL).
    response = owner_client.post(f"/generations/{failed.pk}/retry/", follow=True)
    assert response.redirect_chain == [(f"/generations/{failed.pk}/", 302)]
    assert "Your monthly budget of $0.04 has $0.04 left" in response.content.decode()
    htmx = owner_client.post(f"/generations/{failed.pk}/retry/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and "has $0.04 left" in htmx.content.decode()
    assert Generation.objects.count() == 1 and task_queue.names() == []


def test_remix_is_refused_over_budget_and_keeps_its_inputs(owner_client, owner, task_queue):
    png = image_bytes("PNG", size=(40, 30))
    ref = {"role": "reference", "content": png, "media_type": "image/png", "name": "r.png"}
    gen = make_generation(owner, prompt="remix me", inputs=[ref])
    budgets.set_cap(user=owner, monthly=Decimal("0.05"))  # 0.0434 held, 0.0434 more
    values = form_values(owner_client.get(f"/?remix={gen.pk}").content.decode())
    response = owner_client.post("/generations/", values)
    assert response.status_code == 400
    assert "this image costs about $0.0434" in response.content.decode()
    again = form_values(response.content.decode())
    assert again["prompt"] == ["remix me"] and again["kept_ref"] == values["kept_ref"]
    assert Generation.objects.count() == 1


def test_job_counts_against_the_team_shared_with_at_submit(owner, member, team, task_queue):
    gen = services.create_generation(user=owner, data=_data(), team=team)
    assert gen.billed_team == team
    gen.team = None
    gen.save()
    budgets.set_cap(team=team, monthly=Decimal("0.05"))
    with pytest.raises(budgets.OverBudget):
        services.create_generation(user=member, data=_data(), team=team)


def _data():
    return dict(DEFAULTS)


def test_reserve_takes_a_batch_total(owner, team):
    budgets.set_cap(user=owner, monthly=Decimal("0.16"))
    with transaction.atomic():
        budgets.reserve(user=owner, team=None, estimate=PRICE * 3, count=3)
    with (
        pytest.raises(budgets.OverBudget, match="these 5 images cost about \\$0\\.20\\."),
        transaction.atomic(),
    ):
        budgets.reserve(user=owner, team=None, estimate=PRICE * 5, count=5)


@pytest.mark.django_db(transaction=True)
def test_reserve_outside_a_transaction_is_a_bug(owner):
    with pytest.raises(RuntimeError):
        budgets.reserve(user=owner, team=None, estimate=PRICE)


def test_form_shows_what_is_left_and_warns_past_80_percent(owner_client, owner, team):
    budgets.set_cap(user=owner, monthly=Decimal("5.00"))
    _spend(owner, Decimal("3.00"))
    page = owner_client.get("/").content.decode()
    assert "Your monthly budget of $5.00 has <strong>$2.00 left</strong>" in page
    assert "data-budget-warn" not in page
    _spend(owner, Decimal("1.01"))
    page = owner_client.get("/").content.decode()
    assert "data-budget-warn" in page and "$0.99 left" in page


def test_a_spent_budget_says_so_plainly_and_disables_generate(owner_client, owner):
    budgets.set_cap(user=owner, monthly=Decimal("1.00"))
    _spend(owner, Decimal("1.00"))
    page = owner_client.get("/").content.decode()
    assert "<strong>Budget spent:</strong> Your monthly budget of $1.00 is used up" in page
    assert "$0.00 left" not in page and "Over 80" not in page
    button = page[page.index('class="primary composer-submit"') :].split(">", 1)[0]
    assert " disabled" in button and 'aria-describedby="budget-spent-note"' in button
    # The server still refuses a post that comes anyway.
    response = owner_client.post("/generations/", FORM)
    assert (
        response.status_code == 400
        and Generation.objects.filter(prompt=FORM["prompt"]).count() == 0
    )


def test_team_owner_sees_the_team_budget_others_do_not(client, owner, member, team):
    budgets.set_cap(team=team, monthly=Decimal("10"))
    _spend(member, Decimal("9"), team=team)
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert "The monthly budget of team Design of $10.00 has <strong>$1.00 left" in page
    assert "data-budget-warn" in page
    client.force_login(member)
    assert "team Design" not in client.get("/").content.decode()


def test_budget_exhausted_upstream_is_not_the_local_cap(owner_client, owner):
    gen = job(owner, state=State.FAILED, failure_code="budget_exhausted")
    card = owner_client.get("/").content.decode()
    assert "contact an admin" in card
    detail = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert "out of credit" in detail and "not your monthly budget" in detail


def test_a_batch_is_refused_whole_with_its_total(owner_client, owner, task_queue, settings):
    settings.BATCH_MAX = 4
    budgets.set_cap(user=owner, monthly=Decimal("0.15"))  # room for three, not four
    response = _post(owner_client, count="4")
    assert response.status_code == 400
    assert "these 4 images cost about $0.16." in response.content.decode()
    assert Generation.objects.count() == 0 and task_queue.names() == []
    assert _post(owner_client, count="3").status_code == 302
    assert Generation.objects.count() == 3


def test_retry_of_a_batch_member_is_checked_too(owner_client, owner, task_queue, settings):
    settings.BATCH_MAX = 4
    assert _post(owner_client, count="2").status_code == 302
    member = Generation.objects.order_by("batch_position").first()
    member.fail("generation_failed", "boom")
    member.save()
    budgets.set_cap(user=owner, monthly=Decimal("0.05"))  # 0.0404 still held by the other
    response = owner_client.post(f"/generations/{member.pk}/retry/", follow=True)
    assert response.redirect_chain == [(f"/generations/{member.pk}/", 302)]
    assert "budget" in response.content.decode()
    assert Generation.objects.count() == 2


def test_the_composer_shows_the_caps_of_the_teams_one_owns_only(owner, member, team, client):
    # (owner owns "Design", member is an editor there: the page reads both from its one
    # reading of the person's teams)
    budgets.set_cap(team=team, monthly=Decimal("7.00"))
    for person, shown in ((owner, True), (member, False)):
        client.force_login(person)
        page = client.get("/").content.decode()
        assert ("of $7.00 has" in page) is shown, person
