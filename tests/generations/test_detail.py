"""The detail page and the files it links: outputs, thumbnails, inputs."""

from __future__ import annotations

import pytest

from studio.generations.models import Generation

from .helpers import complete, make_generation

pytestmark = pytest.mark.django_db


def test_detail_shows_everything(owner_client, owner, task_queue):
    gen = complete(
        make_generation(
            owner,
            prompt="a quiet harbour",
            aspect_ratio="3:2",
            style="manga",
            model="uni-1-max",
            inputs=[{"role": "reference", "url": "https://example.com/ref.jpg"}],
        ),
        size=(96, 64),
    )
    Generation.objects.filter(pk=gen.pk).update(
        history=[
            {"state": "pending", "at": "2026-11-26T10:00:00+00:00"},
            {"state": "completed", "at": "2026-11-26T10:00:09+00:00"},
        ]
    )
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    for text in [
        "a quiet harbour",
        "3:2",
        "manga",
        "uni-1-max",
        "$0.1030",
        "https://example.com/ref.jpg",
        "26 Nov 2026, 10:00:09",
        "(+9 s)",
        f"/generations/{gen.pk}/outputs/0/?download=1",
        "Remix",
        "Edit this image",
        "Delete",
    ]:
        assert text in page, text


def test_detail_of_an_in_flight_job_refreshes_itself_until_final(owner_client, owner, task_queue):
    gen = make_generation(owner)
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert 'hx-trigger="every 2s" hx-select="#detail"' in page
    complete(gen)
    page = owner_client.get(f"/generations/{gen.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' not in page


def test_outsider_gets_404_for_detail_and_files(client, owner, outsider, task_queue):
    gen = make_generation(owner)
    client.force_login(outsider)
    assert client.get(f"/generations/{gen.pk}/").status_code == 404
    assert client.get(f"/generations/{gen.pk}/outputs/0/").status_code == 404
    assert client.get(f"/generations/{gen.pk}/outputs/0/thumb/").status_code == 404


def test_team_member_sees_a_shared_generation(client, owner, member, team, task_queue):
    gen = make_generation(owner)
    Generation.objects.filter(pk=gen.pk).update(team=team)
    client.force_login(member)
    assert client.get(f"/generations/{gen.pk}/").status_code == 200


def test_download_has_a_sensible_filename(owner_client, owner, task_queue):
    gen = complete(make_generation(owner, prompt="A Red Fox, in snow!"))
    response = owner_client.get(f"/generations/{gen.pk}/outputs/0/?download=1")
    assert response["Content-Type"] == "image/png"
    assert f'filename="studio-{gen.pk}-a-red-fox-in-snow-1.png"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
