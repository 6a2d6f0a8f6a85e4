"""Who may see or change a generation, and open a team's gallery: the access module, for
each kind of person, and the views that ask it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.http import Http404

from studio.generations import access
from studio.generations.models import Generation, State
from studio.teams.models import Membership, Team

from .helpers import complete, image_bytes, make_generation

pytestmark = pytest.mark.django_db

# reviewer: staff holding moderation.review_moderatedfailure (the Reviewers group): they see
# the review queue's items, nothing else of other people's. staff_viewer: staff holding only
# generations.view_generation, which opens nothing in the studio.
SEES_SHARED = ["author", "viewer", "editor", "team_owner", "superuser"]
SEES_PRIVATE = ["author", "superuser"]
SEES_MODERATED = ["author", "reviewer", "superuser"]
EVERYONE = [
    "author",
    "viewer",
    "editor",
    "team_owner",
    "outsider",
    "anonymous",
    "reviewer",
    "staff_viewer",
    "superuser",
]


@pytest.fixture
def people(db):
    make = get_user_model().objects.create_user
    everyone = {name: make(name) for name in EVERYONE if name != "anonymous"}
    everyone["anonymous"] = AnonymousUser()
    for name in ["reviewer", "staff_viewer", "superuser"]:
        everyone[name].is_staff = True
        everyone[name].is_superuser = name == "superuser"
        everyone[name].save()
    everyone["reviewer"].groups.add(Group.objects.get(name="Reviewers"))
    everyone["staff_viewer"].user_permissions.add(
        Permission.objects.get(codename="view_generation")
    )
    return everyone


@pytest.fixture
def studio_team(people):
    team = Team.objects.create(name="Studio", slug="studio-team")
    for name, role in [
        ("author", Membership.Role.EDITOR),
        ("viewer", Membership.Role.VIEWER),
        ("editor", Membership.Role.EDITOR),
        ("team_owner", Membership.Role.OWNER),
    ]:
        Membership.objects.create(team=team, user=people[name], role=role)
    return team


@pytest.fixture
def shared(people, studio_team, task_queue):
    gen = make_generation(people["author"], prompt="shared with the team")
    Generation.objects.filter(pk=gen.pk).update(team=studio_team)
    gen.refresh_from_db()
    return gen


@pytest.fixture
def private(people, task_queue):
    return make_generation(people["author"], prompt="only mine")


@pytest.fixture
def moderated(people, task_queue):
    gen = make_generation(
        people["author"],
        prompt="refused by the provider",
        inputs=[{"role": "reference", "content": image_bytes(), "media_type": "image/png"}],
    )
    Generation.objects.filter(pk=gen.pk).update(
        state=State.FAILED, failure_code="content_moderated", failure_reason="policy"
    )
    gen.refresh_from_db()
    return gen


def fresh(user):
    """The user as a new request would load it (permissions are cached per object)."""
    if not user.is_authenticated:
        return user
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("name", EVERYONE)
def test_who_sees_what(people, shared, private, moderated, name):
    user = fresh(people[name])
    visible = set(access.visible_generations(user))
    assert (shared in visible) is (name in SEES_SHARED)
    assert (private in visible) is (name in SEES_PRIVATE)
    assert (moderated in visible) is (name in SEES_MODERATED)


@pytest.mark.parametrize("name", EVERYONE)
def test_get_generation_for_reading_is_404_for_who_may_not_see(people, shared, private, name):
    user = fresh(people[name])
    for gen, allowed in [(shared, SEES_SHARED), (private, SEES_PRIVATE)]:
        if name in allowed:
            assert access.get_generation_for(user, gen.pk) == gen
        else:
            with pytest.raises(Http404):
                access.get_generation_for(user, gen.pk)


@pytest.mark.parametrize("name", EVERYONE)
def test_only_the_author_may_change(people, shared, private, name):
    user = fresh(people[name])
    for gen in (shared, private):
        assert access.may_change(user, gen) is (name == "author")
        if name == "author":
            assert access.get_generation_for(user, gen.pk, write=True) == gen
        else:
            with pytest.raises(Http404):
                access.get_generation_for(user, gen.pk, write=True)


def test_a_teammate_does_not_see_what_is_shared_with_another_team(people, shared):
    other = Team.objects.create(name="Other", slug="other")
    Membership.objects.create(team=other, user=people["outsider"], role=Membership.Role.OWNER)
    assert shared not in access.visible_generations(people["outsider"])


def test_a_generation_shared_with_a_team_is_listed_once(people, shared):
    assert list(access.visible_generations(people["author"])) == [shared]


@pytest.mark.parametrize("bad_id", ["x", None, "", "9999"])
def test_get_generation_for_a_bad_id_is_404(people, bad_id):
    with pytest.raises(Http404):
        access.get_generation_for(people["author"], bad_id)


def test_for_viewer_tells_the_card_what_this_viewer_may_do(people, shared, private):
    mine = access.for_viewer(people["author"], [shared, private])
    assert [(g.is_own, g.can_change) for g in mine] == [(True, True), (True, True)]
    [seen] = access.for_viewer(people["editor"], [Generation.objects.get(pk=shared.pk)])
    assert (seen.is_own, seen.can_change) == (False, False)


@pytest.mark.parametrize("name", EVERYONE)
def test_a_team_gallery_opens_for_members_only(people, studio_team, name):
    user = fresh(people[name])
    if name in ["author", "viewer", "editor", "team_owner"]:
        assert access.get_team_for(user, "studio-team") == studio_team
    else:
        # Reviewers too: the admin is where they look, not the team's page.
        with pytest.raises(Http404):
            access.get_team_for(user, "studio-team")


def test_an_unknown_team_is_404(people):
    with pytest.raises(Http404):
        access.get_team_for(people["author"], "nope")


def test_galleries_list_own_work_and_a_teams_work(people, shared, private, task_queue):
    theirs = make_generation(people["editor"], prompt="the editor's, not shared")
    assert set(access.own_generations(people["author"])) == {shared, private}
    assert set(access.own_generations(people["anonymous"])) == set()
    assert list(access.team_generations(shared.team)) == [shared]
    assert theirs not in access.team_generations(shared.team)


# --- the views ask access -------------------------------------------------------------


@pytest.mark.parametrize("name", ["viewer", "editor", "team_owner"])
def test_teammates_see_the_detail_and_files_but_no_authors_actions(client, people, shared, name):
    complete(shared)
    client.force_login(people[name])
    page = client.get(f"/generations/{shared.pk}/").content.decode()
    assert "shared with the team" in page
    assert f"/generations/{shared.pk}/delete/" not in page
    # Their own star: a teammate may star what they see.
    assert f"/generations/{shared.pk}/favourite/" in page
    assert client.get(f"/generations/{shared.pk}/outputs/0/").status_code == 200
    assert client.get(f"/generations/{shared.pk}/outputs/0/thumb/").status_code == 200
    for action in ["retry", "delete"]:
        assert client.post(f"/generations/{shared.pk}/{action}/").status_code == 404


def test_the_author_sees_the_actions_on_the_detail_page(client, people, shared):
    client.force_login(people["author"])
    page = client.get(f"/generations/{shared.pk}/").content.decode()
    assert f"/generations/{shared.pk}/delete/" in page
    assert f"/generations/{shared.pk}/favourite/" in page


def test_a_reviewer_opens_what_is_in_the_queue_and_changes_nothing(
    client, people, private, moderated
):
    complete(private)
    client.force_login(people["reviewer"])
    ref = moderated.inputs.get()
    assert client.get(f"/generations/{moderated.pk}/").status_code == 200
    assert client.get(f"/generations/{moderated.pk}/inputs/{ref.pk}/").status_code == 200
    assert client.post(f"/generations/{moderated.pk}/delete/").status_code == 404
    assert client.post(f"/generations/{moderated.pk}/appeal/").status_code == 404
    # Nothing else of other people's: not their ordinary work, nor its files.
    assert client.get(f"/generations/{private.pk}/").status_code == 404
    assert client.get(f"/generations/{private.pk}/outputs/0/").status_code == 404
    assert Generation.objects.filter(pk=moderated.pk).exists()


def test_view_generation_alone_opens_no_studio_page_or_file(client, people, private, moderated):
    complete(private)
    client.force_login(people["staff_viewer"])
    ref = moderated.inputs.get()
    for url in [
        f"/generations/{private.pk}/",
        f"/generations/{private.pk}/outputs/0/",
        f"/generations/{moderated.pk}/",
        f"/generations/{moderated.pk}/inputs/{ref.pk}/",
    ]:
        assert client.get(url).status_code == 404, url


def test_a_superuser_keeps_everything(client, people, private, moderated):
    complete(private)
    client.force_login(people["superuser"])
    assert client.get(f"/generations/{private.pk}/outputs/0/").status_code == 200
    assert client.get(f"/generations/{moderated.pk}/").status_code == 200
    # Seeing is not changing: still only the author touches a generation.
    assert client.post(f"/generations/{private.pk}/delete/").status_code == 404


def test_the_poll_answers_only_for_what_the_viewer_may_see(client, people, shared, private):
    client.force_login(people["viewer"])
    body = client.get(
        f"/gallery/poll/?ids={shared.pk},{private.pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'data-generation-id="{shared.pk}"' in body
    assert f'data-generation-id="{private.pk}"' not in body
    # Drawn for a teammate: named author, their own star, no retry.
    assert 'data-author="author"' in body
    assert f"/generations/{shared.pk}/favourite/" in body
    assert f"/generations/{shared.pk}/retry/" not in body
