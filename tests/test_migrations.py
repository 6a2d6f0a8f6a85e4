"""The migrations apply to a database filled by the previous main (commit 6a5fbf9).

The test migrates the test database back to the migrations that main had, fills every
table with rows in every state through the historical models of that state (never the
current models, which later issues change), migrates to the latest migrations and checks
that every row is still there with the same values. Later migrations must therefore be
reversible (a RunPython needs its reverse function), which Django's own advice asks anyway.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

# The leaf migration of each of our apps on the previous main.
PREVIOUS_MAIN = [
    ("accounts", "0001_initial"),
    ("generations", "0002_watchdog_schedule"),
    ("moderation", "0001_initial"),
    ("teams", "0001_initial"),
    ("uploads", "0002_staged_origin"),
    ("upstream", "0001_initial"),
]
# Models that changed app since then: (old app, model) -> new app.
MOVED = {("upstream", "simulatedjob"): "simulator", ("upstream", "simulatortrigger"): "simulator"}
# Columns that became rows elsewhere since then, checked one by one below.
REMOVED = {("generations", "generation"): {"favourite"}}
AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
# Rows a later migration adds on purpose (beside the old rows, which must stay as they were):
# moderation's Reviewers group and the permissions it is given.
ADDED_BY_MIGRATIONS = {
    ("auth", "group"): lambda row: row["name"] == "Reviewers",
    ("auth", "permission"): lambda row: (
        row["codename"] in {"review_moderatedfailure", "view_moderatedfailure", "view_auditentry"}
    ),
}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # A fresh loader: the one above still describes the state before the migrate.
    return MigrationExecutor(connection)


def _stored(name: str, media_type: str, size: tuple[int, int], length: int) -> dict:
    """The columns every stored image has (outputs, inputs, staged uploads)."""
    width, height = size
    return dict(file=name, media_type=media_type, width=width, height=height, bytes=length)


def _fill(apps) -> None:
    """One row of every kind, in every state, through the models of `apps`."""
    User = apps.get_model("auth", "User")
    ann = User.objects.create(username="ann", password="!", email="ann@example.test")
    bob = User.objects.create(username="bob", password="!", is_staff=True)
    bob.groups.add(apps.get_model("auth", "Group").objects.create(name="reviewers"))
    apps.get_model("accounts", "Profile").objects.create(user=ann, upstream_user_id=uuid.uuid4())

    Team = apps.get_model("teams", "Team")
    Membership = apps.get_model("teams", "Membership")
    design = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=design, user=ann, role="owner")
    Membership.objects.create(team=design, user=bob, role="viewer")

    Generation = apps.get_model("generations", "Generation")

    def generation(state: str, **fields):
        return Generation.objects.create(
            user=ann,
            prompt=f"a lighthouse, {state}",
            state=state,
            created_at=AT,
            estimated_price=Decimal("0.0404"),
            history=[{"state": "pending", "at": AT.isoformat()}],
            request_ids=["studio-1"],
            **fields,
        )

    generation("pending")
    generation("queued", upstream_id="up-queued", submitted_at=AT, submit_attempts=1)
    generation(
        "processing", upstream_id="up-processing", submitted_at=AT, poll_count=3, last_polled_at=AT
    )
    # Every setting away from its default, shared with the team, a favourite.
    settings = {"type": "image_edit", "aspect_ratio": "16:9", "style": "manga"}
    settings |= {"model": "uni-1-max", "output_format": "jpeg", "web_search": True}
    done = generation(
        "completed",
        upstream_id="up-done",
        submitted_at=AT,
        completed_at=AT,
        **settings,
        favourite=True,
        team=design,
    )
    apps.get_model("generations", "Output").objects.create(
        generation=done,
        thumbnail="thumbs/2026/11/done.webp",
        **_stored("outputs/2026/11/done.jpg", "image/jpeg", (2048, 1152), 812_345),
    )
    Reference = apps.get_model("generations", "Reference")
    Reference.objects.create(
        generation=done,
        role="source",
        original_name="holiday.png",
        **_stored("inputs/2026/11/source.png", "image/png", (640, 480), 12_345),
    )
    Reference.objects.create(
        generation=done, role="reference", position=1, url="https://example.test/ref.jpg"
    )
    failed = generation(
        "failed",
        upstream_id="up-failed",
        failure_code="content_moderated",
        failure_reason="The prompt was flagged by content moderation.",
        completed_at=AT,
    )
    generation("failed", failure_code="timed_out", failure_reason="Abandoned.", retry_of=failed)
    apps.get_model("moderation", "Review").objects.create(
        generation=failed, decision="false_positive", notes="a lighthouse is fine", reviewed_by=bob
    )
    apps.get_model("generations", "PollLease").objects.create()

    apps.get_model("upstream", "SimulatedJob").objects.create(
        id=str(uuid.uuid4()),
        created_at=AT,
        user_id="ann-upstream",
        prompt="a lighthouse [simulate:missing_output]",
        image_ref=[{"url": "https://example.test/ref.jpg"}],
        source={"media_type": "image/png", "bytes": 12_345},
        source_file="simulator/x/source",
        forced_outcome="missing_output",
    )
    apps.get_model("upstream", "SimulatorTrigger").objects.create(key="k" * 64, status=429)
    apps.get_model("uploads", "StagedUpload").objects.create(
        user=ann,
        token="token-1",
        original_name="kept.png",
        **_stored("staged/2026-11-20/token-1.png", "image/png", (64, 48), 321),
        origin="output:1",
    )


def _snapshot(apps, app_labels: set[str]) -> dict[tuple[str, str], list[dict]]:
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in app_labels and not model._meta.proxy:
            key = (model._meta.app_label, model._meta.model_name)
            rows[key] = list(model.objects.order_by("pk").values())
    return rows


def test_a_database_of_the_previous_main_migrates_with_every_row_intact():
    ContentType.objects.clear_cache()
    ours = sorted({app for app, _ in PREVIOUS_MAIN})
    old = _migrate(PREVIOUS_MAIN)
    try:
        old_apps = old.loader.project_state(PREVIOUS_MAIN).apps
        _fill(old_apps)
        before = _snapshot(old_apps, {*ours, "auth"})
        assert [key for key, rows in before.items() if not rows] == []
        # Django's own table, at its latest (only our apps were migrated back); the old
        # state's copy may predate contenttypes' own migrations.
        job_type, _ = ContentType.objects.get_or_create(app_label="upstream", model="simulatedjob")
    finally:
        latest = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    new_apps = latest.loader.project_state(latest.loader.graph.leaf_nodes()).apps
    assert latest.migration_plan(latest.loader.graph.leaf_nodes()) == []
    after = _snapshot(new_apps, {*ours, "auth", *MOVED.values()})
    for (app, model), old_rows in before.items():
        new_rows = after[(MOVED.get((app, model), app), model)]
        old_pks = {row["id"] for row in old_rows}
        added = ADDED_BY_MIGRATIONS.get((app, model), lambda row: False)
        new_rows = [row for row in new_rows if row["id"] in old_pks or not added(row)]
        assert len(new_rows) == len(old_rows), f"{app}.{model} lost rows"
        for old_row, new_row in zip(old_rows, new_rows, strict=True):
            # New columns may appear; every old one keeps its value.
            kept = {k: v for k, v in old_row.items() if k not in REMOVED.get((app, model), ())}
            assert {k: new_row[k] for k in kept} == kept, f"{app}.{model} changed"
    # A star became the author's Favourite row; a shared row got its shared_at.
    old_gens = before[("generations", "generation")]
    stars = {(g["user_id"], g["id"]) for g in old_gens if g["favourite"]}
    assert len(stars) == 1
    favourites = after[("generations", "favourite")]
    assert {(f["user_id"], f["generation_id"]) for f in favourites} == stars
    for old_row, new_row in zip(old_gens, after[("generations", "generation")], strict=True):
        shared_at = new_row["shared_at"]
        assert shared_at == (old_row["created_at"] if old_row["team_id"] else None)
    # Permissions and admin log entries follow the moved model: its content type is relabelled.
    assert ContentType.objects.get(pk=job_type.pk).app_label == "simulator"
    assert not ContentType.objects.filter(app_label="upstream").exists()
    # The moved models answer through the current code too.
    from studio.simulator.models import SimulatedJob, SimulatorTrigger

    job = SimulatedJob.objects.get()
    assert (job.forced_outcome, job.image_ref) == (
        "missing_output",
        before[("upstream", "simulatedjob")][0]["image_ref"],
    )
    assert SimulatorTrigger.objects.get().status == 429
