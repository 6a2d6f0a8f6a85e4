import pytest

from studio.accounts.models import upstream_user_id_for
from studio.generations.models import Generation, State
from studio.moderation.models import ModeratedFailure, Review
from tests.generations.helpers import make_generation
from tests.moderation.helpers import QUEUE, moderated

pytestmark = pytest.mark.django_db


def test_queue_lists_only_moderated_failures(admin_client, owner, task_queue):
    a = moderated(owner, "first bad one")
    other = make_generation(owner, prompt="fine one")
    Generation.objects.filter(pk=other.pk).update(state=State.FAILED, failure_code="rate_limited")
    page = admin_client.get(QUEUE).content.decode()
    assert "first bad one" in page and "Blocked: policy 4.2" in page
    assert "fine one" not in page
    assert list(ModeratedFailure.objects.values_list("pk", flat=True)) == [a.pk]


def test_unreviewed_filter_and_review_action(admin_client, admin_user, owner, task_queue):
    a = moderated(owner, "needs a look")
    b = moderated(owner, "already judged")
    Review.objects.create(generation=b, decision=Review.Decision.CONFIRMED)
    page = admin_client.get(QUEUE + "?review=todo").content.decode()
    assert "needs a look" in page and "already judged" not in page
    admin_client.post(QUEUE, {"action": "mark_false_positive", "_selected_action": [a.pk]})
    review = Review.objects.get(generation=a)
    assert review.decision == Review.Decision.FALSE_POSITIVE
    assert review.reviewed_by == admin_user


def test_review_page_shows_inputs_and_the_upstream_user_id(admin_client, owner, task_queue):
    gen = moderated(owner, "look at the input")
    uid = upstream_user_id_for(owner)
    page = admin_client.get(f"{QUEUE}{gen.pk}/change/").content.decode()
    ref = gen.inputs.get()
    assert uid in page
    assert f"/generations/{gen.pk}/inputs/{ref.pk}/" in page
    assert admin_client.get(f"/generations/{gen.pk}/inputs/{ref.pk}/").status_code == 200


def test_people_without_the_permission_still_get_404(client, owner, outsider, task_queue):
    gen = moderated(owner, "private")
    ref = gen.inputs.get()
    client.force_login(outsider)
    assert client.get(f"/generations/{gen.pk}/inputs/{ref.pk}/").status_code == 404
    assert client.get(QUEUE).status_code == 302  # not staff: sent to the admin login


def test_unreviewed_come_first_oldest_first(admin_client, owner, task_queue):
    judged = moderated(owner, "oldest but judged")
    older = moderated(owner, "older unjudged")
    newer = moderated(owner, "newer unjudged")
    Review.objects.create(generation=judged, decision=Review.Decision.CONFIRMED)
    page = admin_client.get(QUEUE).content.decode()
    assert (
        page.index("older unjudged")
        < page.index("newer unjudged")
        < page.index("oldest but judged")
    )
    assert older.pk < newer.pk
