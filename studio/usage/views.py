"""Usage pages: mine (`/usage/`), a team's for its owners (`/teams/<slug>/usage/`), and
everybody's for staff (`/admin/usage/`, with a CSV export)."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from studio.generations.models import Generation
from studio.teams import access

from . import budgets, chart, overview, prices, reports


def _page(request: HttpRequest, rows, **extra) -> HttpResponse:
    context = reports.report(rows)
    context["chart"] = chart.daily_chart(context["daily"])
    context.update(extra)
    return render(request, "usage/usage.html", context)


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    rows = Generation.objects.filter(user=request.user)
    return _page(request, rows, standings=budgets.person_standings(request.user), team=None)


@login_required
@require_GET
def team(request: HttpRequest, slug: str) -> HttpResponse:
    the_team = access.get_team_owned_by(request.user, slug)
    rows = Generation.objects.filter(billed_team=the_team)
    return _page(
        request,
        rows,
        team=the_team,
        standings=budgets.team_standings(the_team),
        members=reports.members(rows, since=prices.month_start()),
    )


@staff_member_required
@require_GET
def admin_usage(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("o", "-spent")
    context = {**admin.site.each_context(request), **overview.everyone(sort=sort)}
    return render(request, "usage/admin_usage.html", context)


@staff_member_required
@require_GET
def admin_export(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{now:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(overview.CSV_COLUMNS)
    writer.writerows(overview.csv_rows(now=now))
    return response
