"""One way to write a time: day month year, 24-hour clock, and always its zone."""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.template import Context, Template

from studio.accounts import tokens
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 7, 9, 5, 30, tzinfo=UTC)


def render(source: str, **context) -> str:
    return Template("{% load when %}" + source).render(Context(context))


def test_an_instant_is_written_in_utc_with_its_zone_for_the_browser_to_localise():
    shown = render("{% when at %}", at=AT.astimezone(timezone(timedelta(hours=2))))
    assert shown == (
        '<time datetime="2026-12-07T09:05:30+00:00" data-local-time>7 Dec 2026, 09:05 UTC</time>'
    )
    assert "09:05:30 UTC" in render("{% when at seconds=True %}", at=AT)
    assert render("{% when at %}", at=None) == "never"


def test_a_day_is_written_as_the_instants_are():
    assert render("{% day at %}", at=AT) == '<time datetime="2026-12-07">7 Dec 2026</time>'


PAGES_WITH_TIMES = ["/settings/tokens/", "/settings/webhooks/", "/teams/{team}/members/"]


def test_no_page_writes_a_time_without_its_zone_or_a_date_another_way(owner_client, owner, team):
    tokens.issue(user=owner, name="ci")
    gen = make_generation(owner, prompt="a time")
    for url in [*PAGES_WITH_TIMES, f"/generations/{gen.pk}/"]:
        page = owner_client.get(url.format(team=team.slug)).content.decode()
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b(?![^<]*>)", page), url
        for shown in re.findall(r"data-local-time>([^<]*)<", page):
            assert shown.endswith(" UTC"), (url, shown)
