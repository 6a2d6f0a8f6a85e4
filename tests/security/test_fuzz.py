"""A fuzz pass (hypothesis) over the create endpoint and the gallery's query parameters:
whatever is sent, no 500, and no card for input the form refuses."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from studio.generations.models import Generation
from studio.upstream import facts
from tests.generations.helpers import DEFAULTS, make_generation

pytestmark = pytest.mark.django_db

# Anything a client can put in a form field: any text (no lone surrogates, which no
# client can encode), long text, and the valid values, so some posts do pass.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
ANY = st.one_of(TEXT, st.text(max_size=0), st.just("x" * (facts.PROMPT_MAX_CHARS + 1)))


def field(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(valid), TEXT)


FORM = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.one_of(st.just("a lighthouse"), ANY),
        "type": field(facts.TYPES),
        "aspect_ratio": field(facts.ASPECT_RATIOS),
        "style": field(facts.STYLES),
        "model": field(facts.MODELS),
        "output_format": field(facts.OUTPUT_FORMATS),
        "web_search": st.sampled_from(["on", "true", "", "0", "yes", "\x00"]),
        "source_url": st.one_of(st.just("https://img.test/a.png"), TEXT),
        "image_ref_url": st.one_of(st.just("https://img.test/a.png\nhttps://img.test/b.png"), TEXT),
        "team": TEXT,
        "count": st.one_of(st.integers(-5, 50).map(str), TEXT),
    },
)
FUZZ = hsettings(
    max_examples=200,
    database=None,  # no .hypothesis folder in the repo; each run draws afresh
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=FORM, htmx=st.booleans())
def test_create_never_fails_and_makes_a_card_only_for_valid_input(
    owner_client, owner, task_queue, settings, data, htmx
):
    settings.SUBMIT_RATE_PER_MINUTE = 10**6
    before = Generation.objects.count()
    headers = {"HX-Request": "true"} if htmx else {}
    response = owner_client.post("/generations/", data, headers=headers)
    assert response.status_code in (200, 302, 400), response.status_code
    made = Generation.objects.count() - before
    created = response.status_code == 302 or (htmx and "data-generation-id" in response.text)
    if not created:
        assert made == 0, data
        return
    assert made == 1
    gen = Generation.objects.order_by("-pk").first()
    # Only what the form allows was stored.
    assert gen.type in facts.TYPES and gen.model in facts.MODELS
    assert gen.aspect_ratio in facts.ASPECT_RATIOS and gen.style in facts.STYLES
    assert gen.output_format in facts.OUTPUT_FORMATS
    assert 0 < len(gen.prompt) <= facts.PROMPT_MAX_CHARS and "\x00" not in gen.prompt


QUERY = st.fixed_dictionaries(
    {},
    optional={
        "q": TEXT,
        "state": field(["active", "completed", "failed"]),
        "model": field(facts.MODELS),
        "type": field(facts.TYPES),
        "favourite": TEXT,
        "cursor": TEXT,
        "remix": TEXT,
        "edit": TEXT,
        "output": TEXT,
    },
)


@FUZZ
@given(query=QUERY, htmx=st.booleans(), on_team=st.booleans())
def test_gallery_query_parameters_never_fail(owner_client, owner, team, query, htmx, on_team):
    if not Generation.objects.exists():
        make_generation(owner, **DEFAULTS)
    url = f"/teams/{team.slug}/" if on_team else "/"
    headers = {"HX-Request": "true"} if htmx else {}
    response = owner_client.get(url, query, headers=headers)
    assert response.status_code in (200, 404), (url, query, response.status_code)
    if response.status_code == 404:
        # Only Remix / Edit of something not found is a 404, never a filter.
        assert {"remix", "edit"} & set(query), query
