"""The access matrix: who may do what with alice's work and the "design" team.

Each row is a kind of person, each column a page or action; a cell is what that person gets:
  "200+"    200 and alice's item (on the teams list: the team) is on the page
  "200-"    200 and it is not
  "ok"      the action was done (a redirect back, not to the login page), and its effect holds
  "skip"    a redirect back, and nothing was done (a bulk action reports it skipped)
  "login"   sent to the login page                  "403" / "404"  refused, nothing changed
Outsiders get 404, never 403 (ids cannot be probed); members who may see a team but not
manage it get 403 on its member actions. A second test walks the URL configuration and
fails when a studio view is in no column, so a new view must say who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from studio.collections.models import Collection, CollectionItem
from studio.generations.models import Batch, Favourite, Generation, Reference, State
from studio.links.models import PublicLink
from studio.teams.models import Invitation, Membership, Team
from studio.uploads.models import StagedUpload
from tests.generations.helpers import complete, image_bytes, make_generation

pytestmark = pytest.mark.django_db

# Read across: one kind of person. Read down: one page or action.
PAGES = """
           personal team  detail original thumbnail input poll  remix members teams compare use tuse
author     200+     200+  200    200      200       200   200+  200   200     200+  200+   200   404
owner      200-     200+  200    200      200       200   200+  200   200     200+  200+   200   200
editor     200-     200+  200    200      200       200   200+  200   200     200+  200+   200   404
viewer     200-     200+  200    200      200       200   200+  200   200     200+  200+   200   404
other-team 200-     404   404    404      404       404   200-  404   404     200-  404   200   404
no-team    200-     404   404    404      404       404   200-  404   404     200-  404   200   404
anonymous  login    login login  login    login     login login login login  login login login login
reviewer   200-     404   404    404      404       404   200-  404   404     200-  404    200   404
"""
ACTIONS = """
           share unshare delete retry favourite add   role  remove rename delete-team bulk-star
author     ok    ok      ok     ok    ok        403   403   403    403    403         ok
owner      404   ok      404    404   ok        ok    ok    ok     ok     ok          ok
editor     404   404     404    404   ok        403   403   403    403    403         ok
viewer     404   404     404    404   ok        403   403   403    403    403         ok
other-team 404   404     404    404   404       404   404   404    404    404         skip
no-team    404   404     404    404   404       404   404   404    404    404         skip
anonymous  login login   login  login login     login login login  login  login       login
reviewer   404   404     404    404   404       404   404   404    404    404         skip
"""
# a completed image used as an input. "refer" is the studio opened with it as a
# kept reference (/?reference=), "reference" the POST that adds it to an open form.
REUSE = """
           refer reference
author     200   ok
owner      200   ok
editor     200   ok
viewer     200   ok
other-team 404   404
no-team    404   404
anonymous  login login
reviewer   404   404
"""
# invitation links. "invite" makes one, "revoke" revokes the team's open one
# (accepting a link is for whoever holds it: tests/teams/test_invitations.py).
INVITES = """
           invite revoke
author     403    403
owner      ok     ok
editor     403    403
viewer     403    403
other-team 404    404
no-team    404    404
anonymous  login  login
reviewer   404    404
"""
# collections. "board" is the design team's (olga made it; alice's shared item in
# it), "mine" alice's own (her shared and private items in it). "cnew" makes a team
# collection; a viewer sees the team's collections but changes nothing (403, as on the
# members page); reviewers see nothing of collections.
COLLECTIONS = """
           colls coll  mine  cnew  cadd  cremove cmove ccover cdelete bulk-collect
author     200+  200+  200+  ok    ok    ok      ok    ok     ok      ok
owner      200+  200+  404   ok    ok    ok      ok    ok     ok      ok
editor     200+  200+  404   ok    ok    ok      ok    ok     ok      ok
viewer     200+  200+  404   403   403   403     403   403    403     400
other-team 200-  404   404   404   404   404     404   404    404     400
no-team    200-  404   404   404   404   404     404   404    404     400
anonymous  login login login login login login   login login  login   login
reviewer   200-  404   404   404   404   404     404   404    404     400
"""
# a generation's parameters document ("Download parameters", "Use these
# settings") and recall by the SHA-256 of an original (alice's shared output's).
RECALL = """
           params recall
author     200    200
owner      200    200
editor     200    200
viewer     200    200
other-team 404    404
no-team    404    404
anonymous  login  login
reviewer   404    404
"""
# public links. "glink" makes one to alice's shared image, "clink" to the team's
# collection "board" (olga made it), "cmlink" to alice's own collection; "links" is
# /settings/links/ (alice's link listed for her only), "lrevoke" revokes alice's link.
# Only the image's author or the collection's maker links it: teammates get 404 too.
LINKS = """
           glink clink cmlink links lrevoke
author     ok    404   ok     200+  ok
owner      404   ok    404    200-  404
editor     404   404   404    200-  404
viewer     404   404   404    200-  404
other-team 404   404   404    200-  404
no-team    404   404   404    200-  404
anonymous  login login login  login login
reviewer   404   404   404    200-  404
"""
LINK_KEY = "matrixlinkkeyofalice00"  # alice's link's key: its address begins with it


def _parse(table: str) -> dict[tuple[str, str], str]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    return {
        (row[0], column): cell for row in rows for column, cell in zip(header, row[1:], strict=True)
    }


MATRIX = (
    _parse(PAGES)
    | _parse(ACTIONS)
    | _parse(REUSE)
    | _parse(INVITES)
    | _parse(COLLECTIONS)
    | _parse(RECALL)
    | _parse(LINKS)
)
ROWS = ["author", "owner", "editor", "viewer", "other-team", "no-team", "anonymous", "reviewer"]
# the header lines
COLUMNS = (
    PAGES.split()[:13]
    + ACTIONS.split()[:11]
    + REUSE.split()[:2]
    + INVITES.split()[:2]
    + COLLECTIONS.split()[:10]
    + RECALL.split()[:2]
    + LINKS.split()[:5]
)
# The staff reviewer: staff holding the review permission see the review queue's
# items (moderated failures) and nothing else of other people's, so none of alice's work
# here; tests/generations/test_access.py and tests/moderation cover what they do see.
REVIEWER_PERMISSION = ("moderation", "review_moderatedfailure")


@dataclass
class World:
    people: dict
    design: Team
    shared: Generation  # alice's, completed, shared with design, with an input file
    private: Generation  # alice's, not shared
    failed: Generation  # alice's, failed retryably, shared with design
    source: Reference
    board: Collection  # the design team's, with `shared` in it
    mine: Collection  # alice's own, with `shared` and `private` in it


@pytest.fixture
def world(db, task_queue) -> World:
    make = get_user_model().objects.create_user
    people = {
        name: make(username)
        for name, username in [
            ("author", "alice"),
            ("owner", "olga"),
            ("editor", "eddie"),
            ("viewer", "vera"),
            ("other-team", "otto"),
            ("no-team", "nora"),
            ("reviewer", "rita"),
        ]
    }
    people["mia"] = make("mia")  # a member the owner changes and removes
    people["newbie"] = make("newbie")  # someone to add
    app, codename = REVIEWER_PERMISSION
    rita = people["reviewer"]
    rita.is_staff = True
    rita.save()
    rita.user_permissions.add(
        Permission.objects.get(content_type__app_label=app, codename=codename)
    )
    design = Team.objects.create(name="Design", slug="design")
    for name, role in [
        ("author", "editor"),
        ("owner", "owner"),
        ("editor", "editor"),
        ("viewer", "viewer"),
        ("mia", "viewer"),
    ]:
        Membership.objects.create(team=design, user=people[name], role=role)
    Invitation.objects.create(
        team=design, role="viewer", token="open-link", expires_at=timezone.now() + timedelta(days=1)
    )
    other = Team.objects.create(name="Other", slug="other")
    Membership.objects.create(team=other, user=people["other-team"], role="owner")

    alice = people["author"]
    shared = complete(make_generation(alice, prompt="alice shares this"))
    source = Reference(generation=shared, role="source", media_type="image/png")
    source.file.save("source.png", ContentFile(image_bytes("PNG", (8, 8))), save=False)
    source.save()
    private = make_generation(alice, prompt="alice keeps this")
    failed = make_generation(alice, prompt="alice failed")
    Generation.objects.filter(pk=failed.pk).update(
        state=State.FAILED, failure_code="generation_failed", team=design
    )
    batch = Batch.objects.create(user=alice, size=1)
    Generation.objects.filter(pk=shared.pk).update(team=design, batch=batch, batch_position=1)
    shared.refresh_from_db()
    board = Collection.objects.create(name="Board", user=people["owner"], team=design)
    CollectionItem.objects.create(collection=board, generation=shared)
    mine = Collection.objects.create(name="Mine", user=alice)
    CollectionItem.objects.create(collection=mine, generation=shared, position=0)
    CollectionItem.objects.create(collection=mine, generation=private, position=1)
    PublicLink.objects.create(key=LINK_KEY, user=alice, generation=shared)
    return World(people, design, shared, private, failed, source, board, mine)


# column -> (method, url, data, effect): `effect(world, user)` says whether the action
# happened; `url_names` are the URL names the column covers.
def _effects():
    def exists(model, **kw):
        return model.objects.filter(**kw).exists()

    return {
        "share": lambda w, u: Generation.objects.get(pk=w.private.pk).team_id == w.design.pk,
        "unshare": lambda w, u: Generation.objects.get(pk=w.shared.pk).team_id is None,
        "delete": lambda w, u: exists(Generation, pk=w.shared.pk, trashed_at__isnull=False),
        "retry": lambda w, u: exists(Generation, retry_of=w.failed),
        "favourite": lambda w, u: exists(Favourite, user=u, generation=w.shared),
        "bulk-star": lambda w, u: exists(Favourite, user=u, generation=w.shared),
        "add": lambda w, u: exists(Membership, team=w.design, user__username="newbie"),
        "role": lambda w, u: exists(Membership, team=w.design, user__username="mia", role="editor"),
        "remove": lambda w, u: not exists(Membership, team=w.design, user__username="mia"),
        "rename": lambda w, u: Team.objects.filter(name="Design Studio").exists(),
        "delete-team": lambda w, u: not exists(Team, pk=w.design.pk),
        "invite": lambda w, u: Invitation.objects.filter(team=w.design).count() == 2,
        "revoke": lambda w, u: exists(Invitation, token="open-link", revoked_at__isnull=False),
        "cnew": lambda w, u: exists(Collection, team=w.design, name="New"),
        "cadd": lambda w, u: exists(CollectionItem, collection=w.board, generation=w.failed),
        "bulk-collect": lambda w, u: exists(
            CollectionItem, collection=w.board, generation=w.failed
        ),
        "cremove": lambda w, u: not exists(CollectionItem, collection=w.board, generation=w.shared),
        "ccover": lambda w, u: exists(Collection, pk=w.board.pk, cover=w.shared),
        "cdelete": lambda w, u: not exists(Collection, pk=w.board.pk),
        "glink": lambda w, u: PublicLink.objects.filter(generation=w.shared).count() == 2,
        "clink": lambda w, u: exists(PublicLink, collection=w.board),
        "cmlink": lambda w, u: exists(PublicLink, collection=w.mine),
        "lrevoke": lambda w, u: not exists(PublicLink, key=LINK_KEY),
        "reference": lambda w, u: exists(
            StagedUpload, user=u, origin=f"output:{w.shared.outputs.get().pk}"
        ),
    }


EFFECTS = _effects()


def _request(column: str, w: World):
    g, p = w.shared.pk, w.private.pk
    return {
        "personal": ("get", "/", {}),
        "team": ("get", "/teams/design/", {}),
        "detail": ("get", f"/generations/{g}/", {}),
        "original": ("get", f"/generations/{g}/outputs/0/", {}),
        "thumbnail": ("get", f"/generations/{g}/outputs/0/thumb/", {}),
        "input": ("get", f"/generations/{g}/inputs/{w.source.pk}/", {}),
        "poll": ("get", f"/gallery/poll/?ids={g}", {}),
        "share": ("post", f"/generations/{p}/share/", {"team": "design"}),
        "unshare": ("post", f"/generations/{g}/share/", {"team": ""}),
        "delete": ("post", f"/generations/{g}/delete/", {}),
        "retry": ("post", f"/generations/{w.failed.pk}/retry/", {}),
        "favourite": ("post", f"/generations/{g}/favourite/", {}),
        "remix": ("get", f"/?remix={g}", {}),
        "refer": ("get", f"/?reference={g}&output=0", {}),
        "reference": ("post", f"/generations/{g}/outputs/0/reference/", {}),
        "members": ("get", "/teams/design/members/", {}),
        "add": ("post", "/teams/design/members/", {"username": "newbie", "role": "viewer"}),
        "role": ("post", "/teams/design/members/mia/", {"role": "editor"}),
        "remove": ("post", "/teams/design/members/mia/remove/", {}),
        "teams": ("get", "/teams/", {}),
        "rename": ("post", "/teams/design/rename/", {"name": "Design Studio"}),
        "delete-team": ("post", "/teams/design/delete/", {}),
        "compare": ("get", f"/batches/{w.shared.batch_id}/", {}),
        "bulk-star": ("post", "/generations/bulk/", {"action": "favourite", "ids": [g]}),
        "use": ("get", "/usage/", {}),
        "tuse": ("get", "/teams/design/usage/", {}),
        "invite": ("post", "/teams/design/invites/", {"role": "viewer"}),
        "revoke": ("post", f"/teams/design/invites/{_open_invitation(w)}/revoke/", {}),
        "params": ("get", f"/generations/{g}/parameters/", {}),
        "recall": ("get", "/generations/recall/", {"sha256": w.shared.outputs.get().sha256}),
        "colls": ("get", "/collections/", {}),
        "coll": ("get", f"/collections/{w.board.pk}/", {}),
        "mine": ("get", f"/collections/{w.mine.pk}/", {}),
        "cnew": ("post", "/collections/", {"name": "New", "team": "design"}),
        "cadd": ("post", f"/collections/{w.board.pk}/add/", {"ids": w.failed.pk}),
        "cremove": ("post", f"/collections/{w.board.pk}/remove/", {"ids": g}),
        "cmove": ("post", f"/collections/{w.board.pk}/move/", {"id": g, "before": ""}),
        "ccover": ("post", f"/collections/{w.board.pk}/cover/", {"id": g}),
        "cdelete": ("post", f"/collections/{w.board.pk}/delete/", {}),
        "glink": ("post", f"/generations/{g}/link/", {"expires": "never"}),
        "clink": ("post", f"/collections/{w.board.pk}/link/", {"expires": "never"}),
        "cmlink": ("post", f"/collections/{w.mine.pk}/link/", {"expires": "never"}),
        "links": ("get", "/settings/links/", {}),
        "lrevoke": (
            "post",
            f"/settings/links/{PublicLink.objects.get(key=LINK_KEY).pk}/revoke/",
            {},
        ),
        "bulk-collect": (
            "post",
            "/generations/bulk/",
            {"action": "collect", "collection": w.board.pk, "ids": w.failed.pk},
        ),
    }[column]


def _open_invitation(w: World) -> int:
    return Invitation.objects.get(token="open-link").pk


# Which URL names each column covers (the URL walk below checks that every view is one).
COVERS = {
    "studio": "personal",
    "team-gallery": "team",
    "generation-detail": "detail",
    "output-file": "original",
    "output-thumbnail": "thumbnail",
    "input-file": "input",
    "gallery-poll": "poll",
    "generation-share": "share",  # and unshare (an empty team)
    "generation-delete": "delete",
    "generation-retry": "retry",
    "generation-favourite": "favourite",
    "output-reference": "reference",  # "Use as reference": whoever sees it
    "team-members": "members",  # GET; POST is "add"
    "team-member": "role",
    "team-member-remove": "remove",
    "teams": "teams",
    "team-rename": "rename",
    "team-delete": "delete-team",
    "batch-compare": "compare",
    "generations-bulk": "bulk-star",  # every bulk action asks the single action's rule
    "usage": "use",  # each person's own figures only (tests/usage/test_pages.py)
    "team-usage": "tuse",  # the team's owners; 404 for everyone else
    "team-invites": "invite",
    "team-invite-revoke": "revoke",
    "generation-parameters": "params",
    "generation-recall": "recall",
    "collections": "colls",  # GET; POST is "cnew"
    "collection": "coll",  # a team's; "mine" is a personal one
    "collection-add": "cadd",
    "collection-remove": "cremove",
    "collection-move": "cmove",
    "collection-cover": "ccover",
    "collection-delete": "cdelete",
    "generation-link": "glink",
    "collection-link": "clink",  # a team's; "cmlink" is a personal one
    "public-links": "links",
    "public-link-revoke": "lrevoke",
}
# Views outside the studio's access rule, each for a reason.
NOT_IN_THE_MATRIX = {
    "admin": "Django's admin: staff only, its own permissions",
    "simulator": "the fake provider API (DEBUG, no key): no studio data",
    "login": "signing in",
    "logout": "signing out",
    "password_change": "a person's own password (Django's view, login required)",
    "password_change_done": "after changing one's password",
    "theme": "a person's own light / dark choice (login required); tests/accounts/test_theme",
    "uploads:staged": "a person's own kept upload; tests/uploads covers it",
    "generation-create": "makes the person's own generation; tests/generations/test_views",
    "generation-appeal": "the author's own moderated failure (404 for anyone else); "
    "tests/moderation/test_appeals",
    "healthz": "no login, no data (DESIGN.md)",
    "metrics": "an operator's scraper with STUDIO_METRICS_TOKEN, 404 to anyone else (even "
    "signed in); aggregate figures only; tests/core/test_metrics",
    "api-tokens": "a person's own API tokens (login required); tests/api/test_tokens",
    "api-token-revoke": "a person's own token (404 for anyone else); tests/api/test_tokens",
    "webhooks": "a person's own webhook endpoints (login required); tests/webhooks",
    "webhook-rotate": "a person's own endpoint (404 for anyone else); tests/webhooks",
    "webhook-enable": "a person's own endpoint (404 for anyone else); tests/webhooks",
    "webhook-delete": "a person's own endpoint (404 for anyone else); tests/webhooks",
    "webhook-replay": "a delivery to a person's own endpoint (404 for anyone else); tests/webhooks",
    "notification-settings": "a person's own e-mail switch (login required); tests/webhooks",
    "trash": "a person's own trash (login required; only their own items); tests/generations/"
    "test_trash",
    "trash-restore": "restores only the person's own trashed items; tests/generations/test_trash",
    "trash-empty": "empties only the person's own trash; tests/generations/test_trash",
    "trash-thumbnail": "a thumbnail of the person's own trashed item (404 for anyone else); "
    "tests/generations/test_trash",
    "signed-output": "the API's signed, expiring output URL (DESIGN.md's exception); "
    "tests/api/test_luma_shape",
    **{
        f"api-v1:{name}": "the JSON API: a token acts as its person, 404 for others' work; "
        "tests/api"
        for name in (
            "api-root",
            "create_generation",
            "get_generation",
            "list_generations",
            "create_webhook",
            "list_webhooks",
            "delete_webhook",
            "images_generations",
            "images_edits",
            "models",
            "openapi-json",
            "openapi-view",
        )
    },
    "prompt-history": "the person's own recent prompts only; tests/generations/test_prompt_history",
    "admin-usage": "staff only (staff_member_required), like the admin; tests/usage",
    "admin-usage-export": "staff only (staff_member_required), like the admin; tests/usage",
    "favicon": "a redirect to a static file",
    "oidc_authentication_init": "signing in with the identity provider; tests/oidc",
    "oidc_authentication_callback": "the identity provider's answer; tests/oidc",
    "signup": "making an account (STUDIO_SIGNUP=1); tests/accounts/test_signup",
    "invite": "accepting an invitation: whoever holds the link; tests/teams/test_invitations",
    "saved-searches": "saves the person's own search; tests/generations/test_search",
    "saved-search-delete": "the person's own saved search (404 for anyone else); "
    "tests/generations/test_search",
    "static": "static files",
    "public-link": "a public link: whoever holds its unguessable token, no sign-in (DESIGN.md's "
    "exception); tests/links",
    "public-link-file": "an image of a public link, through its token only; tests/links",
    "public-link-thumb": "an image of a public link, through its token only; tests/links",
}

# What "+" looks for, when it is not alice's shared card.
MARKERS = {
    "teams": 'data-team="design"',
    "colls": "data-collection-id",
    "links": f"/s/{LINK_KEY}",
}

CELLS = [(row, column) for row in ROWS for column in COLUMNS]


def test_the_matrix_is_complete():
    assert len(COLUMNS) == 45 and set(MATRIX) == {(r, c) for r in ROWS for c in COLUMNS}
    extra = {"unshare", "remix", "refer", "add", "mine", "cnew", "bulk-collect", "cmlink"}
    assert set(COVERS.values()) | extra == set(COLUMNS)


@pytest.mark.parametrize("row,column", CELLS, ids=[f"{r}-{c}" for r, c in CELLS])
def test_access_matrix(client, world, row, column):
    expected = MATRIX[row, column]
    user = world.people.get(row)
    if user is not None:
        client.force_login(user)
    method, url, data = _request(column, world)
    htmx = {"HTTP_HX_REQUEST": "true"} if column == "poll" else {}
    response = getattr(client, method)(url, data, **htmx)
    location = response.get("Location", "")
    if expected == "login" and htmx:
        # htmx from an ended session: HX-Redirect to the login page (DESIGN.md, Answers).
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith("/accounts/login/")
    elif expected == "login":
        assert response.status_code == 302 and location.startswith("/accounts/login/")
    elif expected in ("ok", "skip"):
        assert response.status_code == 302 and not location.startswith("/accounts/login/")
    else:
        status, presence = expected[:3], expected[3:]
        assert response.status_code == int(status), response.content[:300]
        if presence:
            marker = MARKERS.get(column, f'data-generation-id="{world.shared.pk}"')
            shown = marker in response.content.decode()
            assert shown is (presence == "+")
    if column in EFFECTS:
        assert EFFECTS[column](world, user) is (expected == "ok")


def _url_names(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                yield "admin"
                continue
            if "simulator" in str(entry.pattern):
                yield "simulator"
                continue
            yield from _url_names(entry, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}" if entry.name else str(entry.pattern)


def test_every_studio_view_is_in_the_matrix():
    names = set(_url_names(get_resolver()))
    names = {"favicon" if n.startswith("favicon") else n for n in names}
    names = {"static" if n.startswith("^static") else n for n in names}
    uncovered = names - set(COVERS) - set(NOT_IN_THE_MATRIX)
    assert not uncovered, (
        f"views with no column in the access matrix: {sorted(uncovered)}; add a column "
        "(who may use it) or, for a view outside the studio's data, a reason"
    )
