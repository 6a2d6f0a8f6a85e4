"""Suspending a person: what it stops, what it keeps, and that it is recorded."""

import pytest
from django.core.management import CommandError, call_command

from studio.generations.models import Generation, State
from studio.moderation import suspension
from studio.moderation.models import AuditEntry, Suspension
from tests.generations.helpers import FORM, make_generation
from tests.htmx import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended(owner, task_queue):
    suspension.suspend(user=owner, by=None, reason="repeated policy violations")
    return owner


def posted_nothing(task_queue, before: int) -> bool:
    return Generation.objects.count() == before and "submit" not in task_queue.names()


def test_a_suspended_person_still_sees_their_gallery_and_files(owner_client, owner, task_queue):
    from tests.generations.helpers import complete

    gen = complete(make_generation(owner, prompt="kept work"))
    suspension.suspend(user=owner, by=None, reason="spam")
    page = owner_client.get("/").content.decode()
    assert "kept work" in page
    assert owner_client.get(f"/generations/{gen.pk}/").status_code == 200
    assert owner_client.get(f"/generations/{gen.pk}/outputs/0/").status_code == 200


def test_the_form_shows_the_suspension_and_its_reason_instead_of_generate(owner_client, suspended):
    page = owner_client.get("/").content.decode()
    assert "data-suspended" in page and "repeated policy violations" in page
    assert "composer-submit" not in page


def test_the_studio_of_a_suspended_person_says_contact_an_admin_once(owner_client, owner):
    make_generation(owner, prompt="not sent yet")
    suspension.suspend(user=owner, by=None, reason="spam.")
    page = owner_client.get("/").content.decode()
    assert 'data-failure-code="suspended"' in page  # the job it failed, on its card
    assert page.count("Contact an admin") == 1
    assert "spam.." not in page


@pytest.mark.parametrize("htmx", [False, True])
def test_create_is_refused_with_403_and_nothing_saved_or_sent(
    owner_client, suspended, task_queue, htmx
):
    task_queue.calls.clear()
    before = Generation.objects.count()
    response = owner_client.post("/generations/", FORM, **(HTMX if htmx else {}))
    assert response.status_code == 403
    body = response.content.decode()
    assert "repeated policy violations" in body and "composer-submit" not in body
    assert posted_nothing(task_queue, before)
    if htmx:
        assert response["HX-Retarget"] == "#composer-form"
        assert 'id="composer-form"' in body
        assert "a paper boat" in body  # what was typed comes back


def test_a_crafted_post_without_the_form_is_refused_too(owner_client, suspended, task_queue):
    before = Generation.objects.count()
    response = owner_client.post("/generations/", {"prompt": "x"})
    assert response.status_code == 403
    assert Generation.objects.count() == before


@pytest.mark.parametrize("htmx", [False, True])
def test_retry_is_refused(owner_client, owner, task_queue, htmx):
    failed = make_generation(owner, prompt="try again")
    Generation.objects.filter(pk=failed.pk).update(state=State.FAILED, failure_code="rate_limited")
    suspension.suspend(user=owner, by=None, reason="spam")
    task_queue.calls.clear()
    before = Generation.objects.count()
    response = owner_client.post(f"/generations/{failed.pk}/retry/", **(HTMX if htmx else {}))
    assert response.status_code == 403 and "spam" in response.content.decode()
    assert posted_nothing(task_queue, before)


def test_remix_is_refused_at_submit(owner_client, owner, task_queue):
    source = make_generation(owner, prompt="remix me")
    suspension.suspend(user=owner, by=None, reason="spam")
    # The remix page opens (it is a prefilled form) but shows no Generate button ...
    page = owner_client.get(f"/?remix={source.pk}").content.decode()
    assert "remix me" in page and "composer-submit" not in page
    # ... and its submit is a create, refused.
    before = Generation.objects.count()
    assert owner_client.post("/generations/", {**FORM, "prompt": "remix me"}).status_code == 403
    assert Generation.objects.count() == before


def test_lifting_restores_submitting(owner_client, owner, suspended, task_queue):
    suspension.lift(user=owner, by=None, reason="appeal accepted")
    assert "composer-submit" in owner_client.get("/").content.decode()
    response = owner_client.post("/generations/", FORM)
    assert response.status_code == 302
    assert Generation.objects.filter(prompt="a paper boat").exists()


def test_pending_jobs_fail_as_suspended_and_jobs_at_the_provider_are_kept(owner, task_queue):
    waiting = make_generation(owner, prompt="not sent yet")
    at_provider = make_generation(owner, prompt="already sent")
    Generation.objects.filter(pk=at_provider.pk).update(state=State.PROCESSING, upstream_id="up-9")
    claimed = make_generation(owner, prompt="being sent")
    Generation.objects.filter(pk=claimed.pk).update(submit_claimed_at="2026-01-01T00:00:00Z")
    suspension.suspend(user=owner, by=None, reason="spam")
    waiting.refresh_from_db()
    assert (waiting.state, waiting.failure_code, waiting.failure_reason) == (
        State.FAILED,
        "suspended",
        "suspended",
    )
    assert not waiting.retryable and "suspended" in waiting.failure.meaning
    assert Generation.objects.get(pk=at_provider.pk).state == State.PROCESSING
    assert Generation.objects.get(pk=claimed.pk).state == State.PENDING
    # The submit task, run later, sends nothing for the failed row.
    from studio.generations import pipeline

    assert pipeline.submit(waiting.pk) == "not claimable"


def test_every_suspension_and_lift_is_recorded_and_audited_once(owner, outsider):
    first = suspension.suspend(user=owner, by=outsider, reason="spam")
    again = suspension.suspend(user=owner, by=outsider, reason="twice")
    assert again == first and Suspension.objects.count() == 1
    suspension.lift(user=owner, by=outsider, reason="ok now")
    assert suspension.lift(user=owner, by=outsider) is None
    row = Suspension.objects.get()
    assert (row.suspended_by, row.reason, row.lifted_by, row.lift_reason) == (
        outsider,
        "spam",
        outsider,
        "ok now",
    )
    assert row.suspended_at and row.lifted_at
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor", "subject"))
    assert actions == [
        ("suspension.suspend", outsider.pk, owner.pk),
        ("suspension.lift", outsider.pk, owner.pk),
    ]


def test_the_command_suspends_and_lifts(owner, capsys):
    call_command("suspend", "owner", "--reason", "spam from the command line")
    assert suspension.active_suspension(owner).reason == "spam from the command line"
    call_command("suspend", "owner", "--lift")
    assert suspension.active_suspension(owner) is None
    assert AuditEntry.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("suspend", "nobody", "--reason", "x")
    with pytest.raises(CommandError):
        call_command("suspend", "owner", "--reason", "  ")


# --- the person's admin page -------------------------------------------------------------


def person_form(client, user, **extra):
    """The person's admin change form as the browser would post it back."""
    response = client.get(f"/admin/auth/user/{user.pk}/change/")
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "suspensions-TOTAL_FORMS": "0",
            "suspensions-INITIAL_FORMS": str(user.suspensions.count()),
            "suspensions-MIN_NUM_FORMS": "0",
            "suspensions-MAX_NUM_FORMS": "1000",
        }
    )
    for key in ["groups", "user_permissions"]:
        data.pop(key, None)
    data.pop("last_login", None)
    data.update(extra)
    return data


def test_the_admin_page_suspends_lifts_and_shows_the_history(admin_client, admin_user, owner):
    url = f"/admin/auth/user/{owner.pk}/change/"
    data = person_form(admin_client, owner, suspension_action="suspend", suspension_reason="spam")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert suspension.active_suspension(owner).suspended_by == admin_user
    page = admin_client.get(url).content.decode()
    assert "Suspended" in page and "spam" in page
    data = person_form(admin_client, owner, suspension_action="lift", suspension_reason="fine")
    assert admin_client.post(url, data).status_code == 302
    assert suspension.active_suspension(owner) is None
    page = admin_client.get(url).content.decode()
    assert "spam" in page and "fine" in page  # the history: who, when, why
    assert AuditEntry.objects.count() == 2
