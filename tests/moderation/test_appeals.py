"""The person's side: a moderated failure may be reviewed; ask once; see the decision."""

import pytest

from studio.moderation import review
from studio.moderation.models import Appeal

from .helpers import make_reviewer, moderated

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/moderatedfailure/"


def test_the_card_and_detail_say_it_may_be_reviewed(owner_client, owner, task_queue):
    gen = moderated(owner, "refused one")
    card = owner_client.get("/").content.decode()
    assert "may be reviewed" in card
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert "may be reviewed" in page and f"/generations/{gen.pk}/appeal/" in page


def test_an_appeal_is_accepted_once_and_raises_the_item(client, owner, task_queue):
    first = moderated(owner, "older, not appealed")
    second = moderated(owner, "newer, appealed")
    client.force_login(owner)
    response = client.post(f"/generations/{second.pk}/appeal/", {"note": "it was a cat"})
    assert response.status_code == 302
    assert Appeal.objects.get(generation=second).note == "it was a cat"
    again = client.post(f"/generations/{second.pk}/appeal/", {"note": "again"}, follow=True)
    assert "already asked" in again.content.decode()
    assert Appeal.objects.filter(generation=second).count() == 1
    assert Appeal.objects.get(generation=second).note == "it was a cat"
    page = client.get(f"/generations/{second.pk}/").content.decode()
    assert "You asked for a review" in page and "/appeal/" not in page

    client.force_login(make_reviewer())
    listed = client.get(QUEUE).context["cl"].result_list
    assert [g.pk for g in listed] == [second.pk, first.pk]
    assert "Appealed" in client.get(QUEUE).content.decode()
    assert [g.pk for g in client.get(QUEUE + "?review=appealed").context["cl"].result_list] == [
        second.pk
    ]


def test_only_the_author_may_appeal_and_only_a_moderated_failure(
    client, owner, outsider, task_queue
):
    from tests.generations.helpers import make_generation

    gen = moderated(owner, "theirs")
    client.force_login(outsider)
    assert client.post(f"/generations/{gen.pk}/appeal/", {"note": "x"}).status_code == 404
    ordinary = make_generation(outsider, prompt="fine")
    client.post(f"/generations/{ordinary.pk}/appeal/", {"note": "x"})
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("decision", "shown"),
    [("false_positive", "false positive"), ("confirmed", "confirmed")],
)
def test_the_decision_is_shown_without_the_note_or_the_reviewer(
    owner_client, owner, task_queue, decision, shown
):
    gen = moderated(owner, "judged")
    rita = make_reviewer()
    review.decide(generation=gen, decision=decision, note="SECRET-NOTE", reviewer=rita)
    for url in ["/", f"/generations/{gen.pk}/"]:
        page = owner_client.get(url).content.decode()
        assert shown in page
        assert "SECRET-NOTE" not in page and "rita" not in page
    assert "/appeal/" not in owner_client.get(f"/generations/{gen.pk}/").content.decode()


def test_a_teammate_sees_no_review_or_appeal_of_a_shared_failure(
    client, owner, member, team, task_queue
):
    gen = moderated(owner, "shared refusal")
    gen.share_with(team)
    gen.save()
    client.force_login(member)
    page = client.get(f"/generations/{gen.pk}/").content.decode()
    assert "shared refusal" in page
    assert "data-review-status" not in page and "/appeal/" not in page
