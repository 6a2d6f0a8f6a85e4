"""The API tokens page, `/settings/tokens/`: create (the token shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from studio.accounts.models import ApiToken
from studio.teams.models import Team

from . import tokens

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("never", "never")]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    context = {
        "items": tokens.listed(request.user),
        "teams": list(Team.objects.shareable_by(request.user)),
        "expiry_choices": EXPIRY_CHOICES,
        "typed": {"name": "", "team": "", "expires": "90"},
    }
    if request.method == "GET":
        return render(request, "api/tokens.html", context)
    typed = {
        "name": request.POST.get("name", ""),
        "team": request.POST.get("team", ""),
        "expires": request.POST.get("expires", "90"),
    }
    team = None
    if typed["team"]:
        team = Team.objects.shareable_by(request.user).filter(slug=typed["team"]).first()
    expires = typed["expires"]
    try:
        if typed["team"] and team is None:
            raise tokens.TokenRefused("Choose one of your teams where you are an editor or owner.")
        if expires not in dict(EXPIRY_CHOICES):
            raise tokens.TokenRefused("Choose when the token expires.")
        row, text = tokens.create(
            user=request.user,
            name=typed["name"],
            team=team,
            expires_days=None if expires == "never" else int(expires),
            actor=request.user,
        )
    except tokens.TokenRefused as refused:
        context.update(error=refused.message, typed=typed)
        return render(request, "api/tokens.html", context, status=400)
    # Shown on this answer only: no redirect (a reload must not show it again) and no cache.
    context.update(items=tokens.listed(request.user), new_token=text, new_row=row)
    return render(request, "api/tokens.html", context, status=201)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    row = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if row is None:
        raise Http404("No such token")
    if tokens.revoke(token=row, actor=request.user):
        messages.success(request, f"Token “{row.name}” is revoked: it no longer works.")
    return redirect("api-tokens")
