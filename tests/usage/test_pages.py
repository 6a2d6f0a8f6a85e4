"""/usage/, a team's usage for its owners, and everybody's for staff (page and CSV)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.generations.models import State
from studio.teams.models import Team
from studio.usage import budgets

from .helpers import job


@pytest.fixture
def now():
    return timezone.now()


def test_my_usage_shows_this_month_and_failures_apart(owner_client, owner, now):
    job(owner, at=now)
    job(owner, at=now, price="0.1000", model="uni-1-max")
    job(owner, at=now, state=State.FAILED, failure_code="content_moderated")
    page = owner_client.get("/usage/").content.decode()
    assert re.search(r"data-spent>\$0.14<", page)
    assert re.search(r"data-failed>1<", page)
    assert 'data-failure-code="content_moderated"' in page
    assert f'data-month="{now:%Y-%m}" data-model="uni-1-max" data-type="image"' in page
    # The chart: one bar per day of the last 30, drawn on the server.
    assert page.count('<rect class="bar"') == 30


def test_my_usage_shows_only_my_jobs(owner_client, member, now):
    job(member, at=now, price="0.1000")
    page = owner_client.get("/usage/").content.decode()
    assert re.search(r"data-spent>\$0.00<", page)


def test_chart_renders_for_an_empty_month(owner_client):
    page = owner_client.get("/usage/").content.decode()
    figure = re.search(r'<figure class="spend-chart">.*?</figure>', page, re.S).group(0)
    assert "No spend in the last 30 days" in figure
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    # Every word is HTML beside the drawing (an SVG's text shrinks with it on a phone).
    assert "<text" not in svg
    assert svg.count('<rect class="bar"') == 30
    assert 'height="0.0"' in svg
    # Nothing the strict CSP would block.
    assert "style=" not in svg and "<script" not in svg


def test_usage_needs_a_login(client):
    assert client.get("/usage/").status_code == 302


def test_team_usage_for_owners_split_by_member(owner_client, owner, member, team, now):
    job(member, team=team, at=now, price="0.0434")
    job(owner, team=team, at=now)
    job(owner, at=now, price="0.1000")  # not shared: not the team's
    page = owner_client.get(f"/teams/{team.slug}/usage/").content.decode()
    assert re.search(r"data-spent>\$0.08<", page)
    assert 'data-member="member"' in page and 'data-member="owner"' in page


def test_team_usage_counts_the_team_billed_at_submit(owner_client, owner, team, now):
    gen = job(owner, team=team, at=now)
    gen.team = None  # unshared later: it still counted against the team when it ran
    gen.save()
    page = owner_client.get(f"/teams/{team.slug}/usage/").content.decode()
    assert re.search(r"data-spent>\$0.04<", page)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_team_usage_is_404_for_anyone_but_owners(client, team, who, outsider, member):
    client.force_login({"member": member, "outsider": outsider}[who])
    assert client.get(f"/teams/{team.slug}/usage/").status_code == 404
    assert client.get("/teams/nope/usage/").status_code == 404


@pytest.fixture
def staff_client(client, db):
    staff = get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)
    client.force_login(staff)
    return client


def test_admin_usage_lists_everyone_sortable_by_spend(staff_client, owner, member, team, now):
    job(owner, at=now, price="0.1000")
    job(member, team=team, at=now, price="0.0404")
    Team.objects.create(name="Idle", slug="idle")
    budgets.set_cap(user=owner, monthly=Decimal("5.00"))
    page = staff_client.get("/admin/usage/").content.decode()
    people = re.findall(r'<tr data-name="([^"]+)">', page)
    assert people[:3] == ["owner", "member", "outsider"] or people[:2] == ["owner", "member"]
    assert "Idle" in people and "Design" in people
    assert "$5.00" in page
    ascending = staff_client.get("/admin/usage/?o=spent").content.decode()
    names = re.findall(r'<tr data-name="([^"]+)">', ascending)
    assert names.index("owner") > names.index("member")


def test_admin_usage_is_for_staff_only(owner_client):
    assert owner_client.get("/admin/usage/").status_code == 302
    assert owner_client.get("/admin/usage/export.csv").status_code == 302


def test_csv_export_columns_and_rows(staff_client, owner, member, team, now):
    job(owner, at=now, price="0.1000", model="uni-1-max")
    job(owner, at=now, price="0.1000", model="uni-1-max", state=State.FAILED)
    job(member, team=team, at=now, price="0.0434", type="image_edit")
    response = staff_client.get("/admin/usage/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "username",
        "team",
        "month",
        "model",
        "type",
        "completed",
        "failed",
        "estimated_usd",
    ]
    month = f"{now:%Y-%m}"
    assert sorted(rows[1:]) == [
        ["member", "Design", month, "uni-1", "image_edit", "1", "0", "0.0434"],
        ["owner", "", month, "uni-1-max", "image", "1", "1", "0.1000"],
    ]
