"""Gallery cards and the composer's fields are drawn once and kept (generations/cards.py,
composer_html.py): what is kept holds nothing per request, each viewer sees only what they
may do, and every change to what a card draws draws it again."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client

from studio.collections.models import Collection
from studio.generations import cards, composer_html
from studio.generations.models import Batch, Favourite, Generation, State
from studio.moderation.models import Appeal, Review
from studio.teams.models import Membership, Team
from tests.htmx import HTMX

from .helpers import complete, make_generation

pytestmark = pytest.mark.django_db


def card(html: str, gen) -> str:
    found = re.search(rf'<article class="[^"]*" id="gen-{gen.pk}".*?</article>', html, re.S)
    assert found, f"no card for #{gen.pk}"
    return found.group(0)


class Counting:
    """A template that counts its renders in `count[name]`."""

    def __init__(self, template, count: dict, name: str):
        self.template, self.count, self.name = template, count, name

    def render(self, context):
        self.count[self.name] += 1
        return self.template.render(context)


@pytest.fixture
def drawn(monkeypatch):
    """How many cards were drawn by the template (not taken from the cache)."""
    count = {"cards": 0}
    real = cards._template
    monkeypatch.setattr(cards, "_template", lambda: Counting(real(), count, "cards"))
    return count


def test_a_card_is_drawn_once_and_kept_without_anything_per_request(owner, task_queue, drawn):
    gen = complete(make_generation(owner, prompt="a kept card"))
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(owner)
    second.force_login(owner)
    first.get("/")
    assert drawn["cards"] == 1
    page = second.get("/").content.decode()
    assert drawn["cards"] == 1  # the second person's page took it from the cache
    kept = list(caches["cards"]._cache.values())
    assert kept
    # Nothing of either request in what is kept: markers where those values go.
    assert not any(second.cookies["csrftoken"].value in str(v) for v in kept)
    html = card(page, gen)
    assert "<!card:" not in page
    # The kept card's forms work with the token filled in for this page.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    star = second.post(f"/generations/{gen.pk}/favourite/", {"csrfmiddlewaretoken": token})
    assert star.status_code == 302
    assert Favourite.objects.filter(user=owner, generation=gen).exists()


def test_the_back_and_next_addresses_are_the_pages_own(owner_client, owner, task_queue, drawn):
    gen = complete(make_generation(owner, prompt="a boat"))
    plain = card(owner_client.get("/").content.decode(), gen)
    filtered = card(owner_client.get("/?q=boat").content.decode(), gen)
    assert drawn["cards"] == 1
    assert f'href="/generations/{gen.pk}/"' in plain
    assert f'href="/generations/{gen.pk}/?back=%2F%3Fq%3Dboat"' in filtered
    assert '<input type="hidden" name="next" value="/?q=boat">' in filtered
    # As an htmx swap from a page at another address, the star returns there.
    swapped = owner_client.get("/?q=boat", HTTP_HX_CURRENT_URL="http://testserver/?q=bo", **HTMX)
    assert '<input type="hidden" name="next" value="/?q=bo">' in swapped.content.decode()


def test_each_retry_button_has_its_own_one_time_key(owner_client, owner, task_queue):
    failed = [make_generation(owner, prompt=f"retry me {n}") for n in range(2)]
    Generation.objects.filter(pk__in=[g.pk for g in failed]).update(
        state=State.FAILED, failure_code="generation_failed"
    )
    keys = []
    for _ in range(2):
        page = owner_client.get("/").content.decode()
        for gen in failed:
            html = card(page, gen)
            keys += re.findall(r'name="submission_key" value="([^"]+)"', html)
    assert len(keys) == 4 and len(set(keys)) == 4


def test_a_card_changes_with_everything_it_draws(owner_client, owner, team, task_queue):
    gen = make_generation(owner, prompt="changing")

    def now() -> str:
        return card(owner_client.get("/").content.decode(), gen)

    before = now()
    # Each change below leaves `updated_at` alone (an UPDATE, or another row): the cached
    # card must follow it all the same.
    Generation.objects.filter(pk=gen.pk).update(state=State.PROCESSING)
    assert 'data-state="processing"' in now()
    Generation.objects.filter(pk=gen.pk).update(team=team)
    assert 'data-shared-with="design"' in now()
    Team.objects.filter(pk=team.pk).update(name="Designers")
    assert ">Designers</a>" in now()
    batch = Batch.objects.create(user=owner, size=3)
    Generation.objects.filter(pk=gen.pk).update(batch=batch, batch_position=1)
    assert "1 of 3" in now()
    Batch.objects.filter(pk=batch.pk).update(size=4)
    assert "1 of 4" in now()
    Favourite.objects.create(user=owner, generation=gen)
    assert 'aria-pressed="true"' in now()
    complete(gen)
    assert "<img" in now()
    assert "Add to collection" not in now()
    Collection.objects.create(user=owner, name="Boats")
    assert ">Boats</option>" in now()
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="blocked"
    )
    assert "It may be reviewed by a person." in now()
    Appeal.objects.create(generation=gen, note="please")
    assert "you asked for a review" in now()
    Review.objects.create(generation=gen, decision=Review.Decision.FALSE_POSITIVE)
    assert "Reviewed: this was a false positive." in now()
    assert now() != before


def test_a_kept_card_shows_each_viewer_only_their_own_rights_and_star(
    owner, member, team, task_queue
):
    gen = complete(make_generation(owner, prompt="shared work"))
    Generation.objects.filter(pk=gen.pk).update(team=team)
    Favourite.objects.create(user=member, generation=gen)
    Membership.objects.filter(user=member).update(role=Membership.Role.VIEWER)
    views = {}
    for person in (owner, member):
        client = Client()
        client.force_login(person)
        views[person.username] = card(client.get("/teams/design/").content.decode(), gen)
    mine, theirs = views["owner"], views["member"]
    assert "data-delete" in mine and "data-delete" not in theirs
    assert 'aria-pressed="false"' in mine and 'aria-pressed="true"' in theirs
    # The author's name follows a rename, on every viewer's card.
    get_user_model().objects.filter(pk=owner.pk).update(username="owner2")
    client = Client()
    client.force_login(member)
    assert 'data-author="owner2"' in card(client.get("/teams/design/").content.decode(), gen)


def test_the_poll_draws_kept_cards_with_the_pages_parts(owner_client, owner, task_queue):
    gen = make_generation(owner, prompt="polled")
    owner_client.get("/")
    body = owner_client.get(
        f"/gallery/poll/?ids={gen.pk}&versions=", HTTP_HX_CURRENT_URL="http://testserver/", **HTMX
    ).content.decode()
    assert 'hx-swap-oob="true"' in card(body, gen)
    assert "<!card:" not in body


def test_the_page_and_the_poll_share_one_kept_card(owner_client, owner, task_queue, drawn):
    """A card moved is drawn once, for the poll's out-of-band answer and the next page alike."""
    gen = make_generation(owner, prompt="drawn once")
    poll = owner_client.get(f"/gallery/poll/?ids={gen.pk}&versions=", **HTMX).content.decode()
    assert drawn["cards"] == 1 and 'hx-swap-oob="true"' in card(poll, gen)
    page = owner_client.get("/").content.decode()
    assert drawn["cards"] == 1
    assert "hx-swap-oob" not in card(page, gen) and "<!card:" not in page


@pytest.fixture
def composer_drawn(monkeypatch):
    count = {"fields": 0}
    real = composer_html.loader.get_template

    class Loader:
        @staticmethod
        def get_template(name):
            found = real(name)
            found.template = Counting(found.template, count, "fields")
            return found

    monkeypatch.setattr(composer_html, "loader", Loader)
    return count


def test_the_composer_fields_are_drawn_once_for_the_same_defaults(
    owner, outsider, team, composer_drawn
):
    for person in (outsider, outsider):
        client = Client()
        client.force_login(person)
        page = client.get("/").content.decode()
        assert 'id="id_prompt"' in page and 'name="csrfmiddlewaretoken"' in page
    assert composer_drawn["fields"] == 1
    # Someone with a team to share with gets their own fields, naming their team.
    client = Client()
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert composer_drawn["fields"] == 2
    assert '<option value="design">Design</option>' in page
    # A prefilled form (Remix) is drawn for its own values each time, and not kept.
    gen = make_generation(owner, prompt="remix this")
    for _ in range(2):
        page = client.get(f"/?remix={gen.pk}").content.decode()
        assert "remix this</textarea>" in page
    assert composer_drawn["fields"] == 4
    assert "remix this</textarea>" not in client.get("/").content.decode()


def test_a_refused_form_is_drawn_with_what_was_typed(owner_client, composer_drawn):
    answer = owner_client.post("/generations/", {"prompt": "", "type": "image"})
    assert answer.status_code == 400
    assert "the prompt is empty" in answer.content.decode()
