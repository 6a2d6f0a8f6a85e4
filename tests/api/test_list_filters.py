"""GET /api/v1/generations takes the gallery's filters, by the gallery's names; a value it
cannot use is a 422 naming the field, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio.accounts.models import ApiToken
from studio.collections import services as collections
from studio.generations.models import Favourite, Generation
from tests.generations.helpers import make_generation

pytestmark = pytest.mark.django_db

URL = "/api/v1/generations"


def _ids(client, auth, query: str = "") -> list[int]:
    response = client.get(f"{URL}?{query}", **auth)
    assert response.status_code == 200, response.content
    return [int(g["id"]) for g in response.json()["data"]]


def test_each_filter_of_the_gallery_applies(client, auth, owner, team, member):
    wide = make_generation(owner, prompt="a red fox", aspect_ratio="16:9", model="uni-1-max")
    manga = make_generation(owner, prompt="an owl", style="manga", aspect_ratio="1:1")
    old = make_generation(owner, prompt="a cat", aspect_ratio="1:1")
    Generation.objects.filter(pk=old.pk).update(created_at=datetime(2026, 1, 15, 12, tzinfo=UTC))
    Generation.objects.filter(pk=wide.pk).update(team=team, shared_at=datetime.now(UTC))
    Generation.objects.filter(pk=manga.pk).update(api_token=ApiToken.objects.get())
    Favourite.objects.create(user=owner, generation=old)
    box = collections.create_collection(user=owner, name="Box")
    collections.add(user=owner, collection=box, ids=[old.pk, manga.pk])
    theirs = make_generation(member, prompt="a red fox of theirs", aspect_ratio="16:9")
    assert _ids(client, auth) == [manga.pk, wide.pk, old.pk]
    expected = {
        "q=fox": [wide.pk],
        "ratio=16:9": [wide.pk],
        "style=manga": [manga.pk],
        "model=uni-1-max": [wide.pk],
        "state=pending": [manga.pk, wide.pk, old.pk],
        "state=completed": [],
        "via=api": [manga.pk],
        "via=web": [wide.pk, old.pk],
        "since=2026-01-16": [manga.pk, wide.pk],
        "until=2026-01-15": [old.pk],
        "since=0001-01-01&until=9999-12-31": [manga.pk, wide.pk, old.pk],
        "since=9999-12-31": [],
        "team=design": [wide.pk],
        f"collection={box.pk}": [manga.pk, old.pk],
        "favourite=true": [old.pk],
        "via=web&ratio=16:9": [wide.pk],
    }
    for query, shown in expected.items():
        assert _ids(client, auth, query) == shown, query
    assert theirs.pk not in _ids(client, auth, "ratio=16:9")


def test_filters_page_with_after(client, auth, owner):
    gens = [make_generation(owner, style="manga") for _ in range(3)]
    make_generation(owner, style="auto")
    first = client.get(f"{URL}?style=manga&limit=2", **auth).json()
    assert [int(g["id"]) for g in first["data"]] == [gens[2].pk, gens[1].pk] and first["has_more"]
    rest = client.get(f"{URL}?style=manga&limit=2&after={gens[1].pk}", **auth).json()
    assert [int(g["id"]) for g in rest["data"]] == [gens[0].pk] and not rest["has_more"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ratio=7:5", "ratio"),
        ("style=oil", "style"),
        ("model=gpt-image-1", "model"),
        ("type=video", "type"),
        ("state=lost", "state"),
        ("via=email", "via"),
        ("since=yesterday", "since"),
        ("until=2026-02-30", "until"),
        ("since=10000-01-01", "since"),
        ("since=2026-03-01&until=2026-02-01", "until"),
        ("team=not-mine", "team"),
        ("collection=abc", "collection"),
        ("collection=0", "collection"),
        ("collection=99999999999999999999999", "collection"),
        ("after=99999999999999999999999", "after"),
        ("favourite=maybe", "favourite"),
        (f"q={'x' * 201}", "q"),
    ],
)
def test_a_bad_filter_value_is_a_422_naming_it(client, auth, owner, query, field):
    make_generation(owner)
    response = client.get(f"{URL}?{query}", **auth)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert [e["loc"][-1] for e in detail] == [field], detail


def test_someone_elses_collection_or_team_is_refused(client, auth, owner, outsider):
    theirs = collections.create_collection(user=outsider, name="Theirs")
    response = client.get(f"{URL}?collection={theirs.pk}", **auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "no such collection of yours"


def test_the_filters_are_in_the_openapi_description(client):
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"][URL]["get"]["parameters"]}
    for name in ("q", "state", "model", "type", "ratio", "style", "since", "until", "team"):
        assert name in params
    assert {"collection", "via", "favourite", "limit", "after"} <= set(params)
    assert "16:9" in str(params["ratio"]["schema"])
    assert params["since"]["schema"]["anyOf"][0]["format"] == "date"
