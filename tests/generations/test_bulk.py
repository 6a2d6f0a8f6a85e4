"""Acting on many generations at once: POST /generations/bulk/ (action, ids, team)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.storage import FileSystemStorage

from studio.generations.models import Favourite, Generation, State

from .helpers import complete, make_generation

pytestmark = pytest.mark.django_db

BULK = "/generations/bulk/"


def bulk(client, action, gens, **extra):
    ids = [str(g if isinstance(g, int) else g.pk) for g in gens]
    return client.post(BULK, {"action": action, "ids": ids, **extra}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_bulk_delete_skips_and_reports_what_is_not_yours(client, owner, member, team, task_queue):
    mine = [make_generation(owner, prompt=f"mine {i}") for i in range(3)]
    theirs = make_generation(member, prompt="a teammate's, shared")
    Generation.objects.filter(pk=theirs.pk).update(team=team)
    client.force_login(owner)
    response = bulk(client, "delete", [*mine, theirs])
    assert messages_of(response) == ["3 moved to the trash, 1 was not yours."]
    assert list(Generation.objects.kept().values_list("pk", flat=True)) == [theirs.pk]


def test_unknown_ids_count_as_not_yours(client, owner, outsider, task_queue):
    private = make_generation(outsider)
    mine = make_generation(owner)
    client.force_login(owner)
    response = bulk(client, "delete", [mine, private, 999999])
    assert messages_of(response) == ["1 moved to the trash, 2 were not yours."]
    assert Generation.objects.kept().filter(pk=private.pk).exists()


def test_bulk_delete_asks_nothing_and_its_message_has_undo(owner_client, owner, task_queue):
    gens = [make_generation(owner) for _ in range(4)]
    ids = [g.pk for g in gens]
    response = owner_client.post(BULK, {"action": "delete", "ids": ids}, follow=True)
    page = response.content.decode()
    assert Generation.objects.kept().count() == 0
    ids_text = ",".join(map(str, ids))
    assert re.search(
        rf'<form method="post" action="/trash/restore/"[^>]*>.*?name="ids" value="{ids_text}"',
        page,
        re.S,
    )
    owner_client.post("/trash/restore/", {"ids": ids_text})
    assert Generation.objects.kept().count() == 4


def test_bulk_share_and_unshare_skip_and_report(client, owner, member, outsider, team, task_queue):
    mine = [make_generation(owner) for _ in range(3)]
    theirs = make_generation(member)
    client.force_login(owner)
    response = bulk(client, "share", [*mine, theirs], team="design")
    assert messages_of(response) == ["3 shared with Design, 1 was not yours."]
    assert Generation.objects.filter(team=team).count() == 3
    assert Generation.objects.get(pk=theirs.pk).team_id is None
    # The team gallery shows them now.
    assert client.get("/teams/design/").content.decode().count("data-generation-id=") == 3

    Generation.objects.filter(pk=mine[2].pk).update(team=None)
    Generation.objects.filter(pk=theirs.pk).update(team=team)
    # An editor takes out only their own; the team's owner may take out anyone's.
    client.force_login(member)
    response = bulk(client, "unshare", [mine[0], theirs])
    assert messages_of(response) == ["1 unshared, 1 was not yours."]
    assert Generation.objects.get(pk=mine[0].pk).team == team
    Generation.objects.filter(pk=theirs.pk).update(team=team)
    client.force_login(owner)
    response = bulk(client, "unshare", [*mine, theirs])
    assert messages_of(response) == ["3 unshared, 1 was not shared."]
    assert not Generation.objects.filter(team=team).exists()


def test_bulk_share_refuses_a_team_one_may_not_share_with(
    client, owner, outsider, team, task_queue
):
    gen = make_generation(outsider)
    client.force_login(outsider)
    response = client.post(BULK, {"action": "share", "ids": [gen.pk], "team": "design"})
    assert response.status_code == 400
    assert Generation.objects.get().team_id is None


def test_bulk_favourite_and_unfavourite_obey_the_single_rule(
    client, owner, member, team, task_queue
):
    mine = [make_generation(owner) for _ in range(2)]
    shared = make_generation(member)  # a teammate's, shared: anyone who sees it may star it
    Generation.objects.filter(pk=shared.pk).update(team=team)
    private = make_generation(member)  # theirs alone: not the owner's to star
    client.force_login(owner)
    response = bulk(client, "favourite", [*mine, shared, private])
    assert messages_of(response) == ["3 starred, 1 was not yours."]
    stars = Favourite.objects.filter(user=owner).values_list("generation_id", flat=True)
    assert set(stars) == {g.pk for g in [*mine, shared]}
    assert not Favourite.objects.exclude(user=owner).exists()  # the star is the owner's own
    response = bulk(client, "unfavourite", mine)
    assert messages_of(response) == ["2 unstarred."]
    assert set(Favourite.objects.values_list("generation_id", flat=True)) == {shared.pk}


@pytest.mark.parametrize(
    "data",
    [{"action": "delete"}, {"action": "explode", "ids": "1"}, {"action": "delete", "ids": "1,x"}],
)
def test_bad_bulk_requests_are_400(owner_client, owner, data):
    assert owner_client.post(BULK, data).status_code == 400


def test_bulk_returns_to_the_gallery_it_came_from(owner_client, owner, task_queue):
    gen = make_generation(owner)
    response = owner_client.post(
        BULK, {"action": "favourite", "ids": [gen.pk], "next": "/?q=lighthouse"}
    )
    assert response["Location"] == "/?q=lighthouse"
    response = owner_client.post(
        BULK, {"action": "favourite", "ids": [gen.pk], "next": "https://evil.test/"}
    )
    assert response["Location"] == "/"


# --- download -----------------------------------------------------------------------------


class CountingStorage(FileSystemStorage):
    opened: list[str] = []

    def _open(self, name, mode="rb"):
        CountingStorage.opened.append(name)
        return super()._open(name, mode)


def test_a_zip_of_thirty_streams_and_holds_the_right_files(
    owner_client, owner, task_queue, monkeypatch
):
    gens = [complete(make_generation(owner, prompt=f"a red fox number {i}")) for i in range(29)]
    other = complete(make_generation(owner, prompt="not chosen"))
    # One of a batch, to show the position in its name.
    from studio.generations.models import Batch

    batch = Batch.objects.create(user=owner, size=2)
    second = complete(make_generation(owner, prompt="Twin Peaks at dawn!"))
    Generation.objects.filter(pk=second.pk).update(batch=batch, batch_position=2)
    chosen = [*gens, second]
    for gen in chosen:
        field = gen.outputs.get().file
        monkeypatch.setattr(
            field.field, "storage", CountingStorage(location=field.storage.location)
        )
    CountingStorage.opened = []

    response = owner_client.post(BULK, {"action": "download", "ids": [g.pk for g in chosen]})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert 'filename="studio-30-images.zip"' in response["Content-Disposition"]
    chunks = iter(response.streaming_content)
    first = next(chunks)
    # Streamed: the first bytes are out before the last file has been opened.
    assert first.startswith(b"PK") and len(CountingStorage.opened) < 30
    data = first + b"".join(chunks)
    assert len(CountingStorage.opened) == 30
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = [n for n in archive.namelist() if not n.endswith(".json")]
    assert len(names) == 30
    assert "a-red-fox-number-0-1.png" in names and "a-red-fox-number-28-1.png" in names
    assert "twin-peaks-at-dawn-2.png" in names
    assert not any("not-chosen" in n for n in names)
    with gens[5].outputs.get().file.open("rb") as fh:
        assert archive.read("a-red-fox-number-5-1.png") == fh.read()
    assert other.pk not in [g.pk for g in chosen]


def test_zip_skips_what_cannot_be_downloaded(client, owner, member, outsider, team, task_queue):
    done = complete(make_generation(owner, prompt="same prompt"))
    again = complete(make_generation(owner, prompt="same prompt"))
    teammates = complete(make_generation(member, prompt="shared with me"))
    Generation.objects.filter(pk=teammates.pk).update(team=team)
    flying = make_generation(owner)
    private = complete(make_generation(outsider))
    client.force_login(owner)
    ids = [done.pk, again.pk, teammates.pk, flying.pk, private.pk]
    response = client.post(BULK, {"action": "download", "ids": ids})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    # A teammate's shared image may be downloaded, as its single download may; two of the
    # same prompt get told apart by id.
    images = [n for n in archive.namelist() if not n.endswith(".json")]  # not the sidecars
    assert sorted(images) == sorted(
        [
            "same-prompt-1.png",
            f"same-prompt-1-{again.pk}.png",
            "shared-with-me-1.png",
            "NOT-INCLUDED.txt",
        ]
    )
    assert response["X-Studio-Bulk"] == "3 in the zip, 1 was not yours, 1 was without an image yet"
    # The browser only saves the file: the zip says what it left out.
    note = archive.read("NOT-INCLUDED.txt").decode()
    assert note.startswith("3 in the zip, 1 was not yours, 1 was without an image yet.\n")


def test_a_zip_without_skipped_items_has_no_note(owner_client, owner, task_queue):
    gens = [complete(make_generation(owner)) for _ in range(2)]
    response = owner_client.post(BULK, {"action": "download", "ids": [g.pk for g in gens]})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    images = [n for n in archive.namelist() if not n.endswith(".json")]  # not the sidecars
    assert "NOT-INCLUDED.txt" not in images and len(images) == 2


def test_bulk_delete_returns_to_the_searched_gallery(owner_client, owner, task_queue):
    gen = complete(make_generation(owner, prompt="a searched boat"))
    page = owner_client.get("/?q=boat").content.decode()
    assert 'name="next" value="/?q=boat" data-bulk-next' in page
    post = {"action": "delete", "ids": [gen.pk], "confirm": "1", "next": "/?q=boat"}
    assert owner_client.post(BULK, post)["Location"] == "/?q=boat"


def test_zip_refuses_more_than_the_limit(owner_client, owner, task_queue, settings):
    settings.ZIP_MAX_FILES = 3
    gens = [complete(make_generation(owner)) for _ in range(4)]
    response = owner_client.post(BULK, {"action": "download", "ids": [g.pk for g in gens]})
    assert response.status_code == 400
    assert "at most 3" in response.content.decode()
    response = owner_client.post(BULK, {"action": "download", "ids": [g.pk for g in gens[:3]]})
    assert response.status_code == 200


def test_zip_of_nothing_downloadable_is_400(owner_client, owner, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(state=State.FAILED)
    response = owner_client.post(BULK, {"action": "download", "ids": [gen.pk]})
    assert response.status_code == 400 and "Nothing to download" in response.content.decode()


def test_gallery_has_selection_mode_with_a_checkbox_per_card(owner_client, owner, team, task_queue):
    gens = [make_generation(owner) for _ in range(2)]
    page = owner_client.get("/").content.decode()
    assert 'id="bulk-form"' in page and 'action="/generations/bulk/"' in page
    boxes = re.findall(r'<input type="checkbox" name="ids" value="(\d+)" form="bulk-form"', page)
    assert sorted(boxes) == sorted(str(g.pk) for g in gens)
    for action in ("download", "share", "unshare", "favourite", "unfavourite", "delete"):
        assert f'name="action" value="{action}"' in page
    assert "Select all loaded" in page and 'popovertarget="shortcuts-help"' in page
    team_page = owner_client.get("/teams/design/").content.decode()
    assert 'id="bulk-form"' in team_page and 'name="next" value="/teams/design/"' in team_page
