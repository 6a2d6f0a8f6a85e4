"""Browsing: the studio page (the composer over the person's own gallery), a team's
gallery and its news check, and the one poll for every in-flight card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, replace_url

from studio.teams.http import leaves_team_on_404
from studio.teams.models import PersonTeams, Team
from studio.upstream import facts

from .. import access, batches, gallery, prefill
from ..forms import GenerationForm
from ..models import CARD_VERSION_FIELDS, FINAL, Output, SavedSearch, State, card_version

LAST_SETTINGS = "studio.last_settings"
NEWS = "made_after"  # the studio's slow check: its rows made since then
GALLERY_PAGE = "generations/_gallery.html#gallery-page"


def _gallery_context(
    request: HttpRequest, generations, *, url: str, team=None, teams: PersonTeams | None = None
) -> dict:
    """One page of a gallery (the studio's or a team's) at `url`, filtered as asked.
    `teams`: the viewer's teams, when the view has read them."""
    filters = gallery.Filters.from_request(request.GET)
    page = gallery.page_of(
        filters.apply(generations, user=request.user),
        request.GET.get("cursor"),
        through=request.GET.get("through"),
    )
    page.items = access.for_viewer(request.user, batches.grouped(page.items), teams=teams)
    query = filters.querystring()
    more = f"{url}?cursor={page.next_cursor}" + (f"&{query}" if query else "")
    return {
        "page": page,
        "filters": filters,
        "team": team,
        "team_slug": team.slug if team else "",
        "gallery_url": url,
        "filtered_url": f"{url}?{query}" if query else url,
        "more_url": more if page.next_cursor else None,
        "states": ["active", "completed", "failed"],
        "share_teams": (
            teams.shareable if teams is not None else list(Team.objects.shareable_by(request.user))
        ),
        "models": facts.MODELS,
        "ratios": facts.ASPECT_RATIOS,
        "styles": facts.STYLES,
        "saved_searches": list(SavedSearch.objects.filter(user=request.user)),
    }


def _wants_gallery_page(request: HttpRequest) -> bool:
    """An htmx filter or "Load more" asks a page's own URL for its cards only. (A history
    restore wants the whole page.)"""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _gallery_page(request: HttpRequest, context: dict) -> HttpResponse:
    response = render(request, GALLERY_PAGE, context)
    if not request.GET.get("cursor"):
        # A new filter: put it in the address bar so reload and Back keep it.
        push_url(response, context["filtered_url"])
    elif items := context["page"].items:
        # "Load more": the address now reaches down to the last card shown, so Back from
        # a detail page draws them all again (see gallery.page_of's `through`).
        url, query = context["gallery_url"], context["filters"].querystring()
        through = f"{url}?through={gallery.encode_cursor(items[-1])}"
        replace_url(response, through + (f"&{query}" if query else ""))
    return response


def _studio_initial(request: HttpRequest) -> dict:
    """Prefill for Remix (?remix=<id>), "Edit this image" (?edit=<id>&output=<n>) and "Use
    as reference" without JavaScript (?reference=<id>&output=<n>)."""
    if last := request.session.pop(LAST_SETTINGS, None):
        return last
    if settings_id := request.GET.get("settings"):
        # "Use these settings" from a page without the composer: the settings, no prompt.
        return prefill.settings_of(access.get_generation_for(request.user, settings_id))
    if remix_id := request.GET.get("remix"):
        return prefill.remix(request.user, access.get_generation_for(request.user, remix_id))
    if edit_id := request.GET.get("edit"):
        return prefill.edit_output(request.user, _queried_output(request, edit_id))
    if ref_id := request.GET.get("reference"):
        staged = prefill.copy_output(request.user, _queried_output(request, ref_id))
        return {"kept_ref": [staged.token]}
    return {}


def _queried_output(request: HttpRequest, generation_id: str) -> Output:
    """The output `?output=<n>` (0 unless said) of a generation the person may see, or 404."""
    gen = access.get_generation_for(request.user, generation_id)
    position = request.GET.get("output", "0") or "0"
    out = gen.outputs.filter(position=position).first() if position.isdigit() else None
    if out is None:
        raise Http404("That generation has no such image")
    return out


def studio_context(request: HttpRequest, *, teams: PersonTeams | None = None) -> dict:
    """The studio page's gallery (the person's own), as `studio` and a refused form draw it."""
    own = access.own_generations(request.user)
    context = _gallery_context(request, own, url=reverse("studio"), teams=teams)
    # The slow check for rows made elsewhere (the API, another tab), from now on.
    since = timezone.now()
    context["news_url"] = _news_url(context["gallery_url"], since, key=NEWS)
    context["news_seconds"] = settings.GALLERY_NEWS_SECONDS
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def studio(request: HttpRequest) -> HttpResponse:
    if request.htmx and NEWS in request.GET:
        return _studio_news(request, reverse("studio"))
    # The person's teams, read once for the gallery, the composer and the navigation.
    teams = access.teams_for(request)
    context = studio_context(request, teams=teams)
    if _wants_gallery_page(request):
        return _gallery_page(request, context)
    # Only the whole page has the form: a gallery request must not use up the kept settings.
    initial = _studio_initial(request)
    if "team" not in initial and teams.default is not None:
        initial["team"] = teams.default.slug
    context["form"] = GenerationForm(
        initial=initial, user=request.user, share_teams=teams.shareable
    )
    return render(request, "generations/studio.html", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
@leaves_team_on_404
def team_gallery(request: HttpRequest, slug: str) -> HttpResponse:
    team = access.get_team_for(request.user, slug)
    url = reverse("team-gallery", args=[team.slug])
    if request.htmx and "shared_after" in request.GET:
        return _team_news(request, team, url)
    teams = access.teams_for(request)
    context = _gallery_context(
        request, access.team_generations(team), url=url, team=team, teams=teams
    )
    if _wants_gallery_page(request):
        return _gallery_page(request, context)
    context["news_url"] = _news_url(url, timezone.now())
    context["news_seconds"] = settings.TEAM_NEWS_SECONDS
    return render(request, "generations/team.html", context)


def _news_url(url: str, since, *, key: str = "shared_after") -> str:
    """A slow check's address. The filters are not in it: news.js adds the filter form's
    current ones to each check, as the gallery may have been filtered since it was drawn."""
    return f"{url}?{urlencode({key: since.isoformat()})}"


def _team_news(request: HttpRequest, team: Team, url: str) -> HttpResponse:
    """The team gallery's slow check: what was shared since its last look, or 204."""
    since = _since(request.GET.get("shared_after", ""))
    filters = gallery.Filters.from_request(request.GET)
    new = (
        filters.apply(access.team_generations(team), user=request.user)
        .filter(shared_at__gt=since)
        .select_related("user", "team", "api_token")
        .prefetch_related("outputs")
        .order_by("shared_at", "id")[: gallery.PAGE_SIZE]
    )
    items = access.for_viewer(request.user, new)
    if not items:
        return HttpResponse(status=204)
    context = {
        "items": list(reversed(items)),  # the newest ends up first in the gallery
        "team": team,
        "team_slug": team.slug,
        "news_url": _news_url(url, items[-1].shared_at),
        "news_seconds": settings.TEAM_NEWS_SECONDS,
    }
    return render(request, "generations/team.html#news", context)


# A row is stamped when its transaction starts and seen when it commits: the check looks
# this far behind its last look, and the cards the page already has are left out.
NEWS_OVERLAP = timedelta(seconds=30)


def _since(raw: str) -> datetime:
    """A slow check's last look as the page sent it; anything unusable means now (a page
    that sends nonsense learns of what is made from now on)."""
    try:
        when = parse_datetime(raw.strip()[:40])
    except ValueError:
        when = None
    if when is None or when.year < 2:
        return timezone.now()
    return when if timezone.is_aware(when) else when.replace(tzinfo=UTC)


def _drawn_ids(raw: str) -> list[int]:
    """The `have` parameter: the ids of the cards the page shows at its top (at most 100)."""
    return [int(part) for part in raw.split(",") if part.isdigit() and len(part) <= 18][:100]


def _studio_news(request: HttpRequest, url: str) -> HttpResponse:
    """The studio gallery's slow check: the person's own rows made since its last look
    elsewhere (the API, another tab), or 204 (one query, most of the time)."""
    since = _since(request.GET.get(NEWS, ""))
    filters = gallery.Filters.from_request(request.GET)
    new = (
        filters.apply(access.own_generations(request.user), user=request.user)
        .filter(created_at__gt=since - NEWS_OVERLAP)
        .exclude(pk__in=_drawn_ids(request.GET.get("have", "")))
        .select_related("user", "team", "batch", "api_token")
        .prefetch_related("outputs")
        .order_by("created_at", "id")[: gallery.PAGE_SIZE]
    )
    items = access.for_viewer(request.user, new)
    if not items:
        return HttpResponse(status=204)
    newest = max(since, items[-1].created_at)
    context = {
        "items": list(reversed(items)),  # the newest ends up first in the gallery
        "news_url": _news_url(url, newest, key=NEWS),
        "news_seconds": settings.GALLERY_NEWS_SECONDS,
    }
    return render(request, "generations/studio.html#news", context)


def _drawn_versions(query) -> dict[int, str]:
    """The polled cards (at most 200): each id with the version the page drew it at (""
    when the page did not say, so it counts as changed)."""
    versions = query.get("versions", "").split(",")
    drawn: dict[int, str] = {}
    for at, raw in enumerate(query.get("ids", "").split(",")):
        if raw.strip().isdigit() and len(drawn) < 200:
            drawn[int(raw)] = versions[at] if at < len(versions) else ""
    return drawn


@login_required
@require_GET
def gallery_poll(request: HttpRequest) -> HttpResponse:
    """One request for every in-flight card on the page: out-of-band updates of the cards
    that changed since the page drew them, and 204 when none did, which is most polls (a
    job takes seconds, the page asks every 2 s): one small query instead of the cards."""
    drawn = _drawn_versions(request.GET)
    visible = access.visible_generations(request.user).filter(pk__in=drawn)
    now = {
        pk: card_version(*columns)
        for pk, *columns in visible.order_by().values_list("pk", *CARD_VERSION_FIELDS)
    }
    # Deleted (or no longer shared) since the page was drawn: drop the card, or the page
    # would poll for it for ever.
    gone = sorted(set(drawn) - set(now))
    changed = [pk for pk, version in now.items() if drawn[pk] != version]
    if not changed and not gone:
        return HttpResponse(status=204)
    # Asked again (access may have changed since), with the teams as this request reads them.
    teams = access.teams_for(request)
    cards = access.visible_generations(request.user, teams=teams).filter(pk__in=changed)
    cards = cards.select_related("user", "team", "batch", "api_token")
    gens = access.for_viewer(request.user, cards, teams=teams)
    # A card shows an output only once completed: most polls (a state moving on) need none.
    prefetch_related_objects([g for g in gens if g.state == State.COMPLETED], "outputs")
    finished = [g for g in gens if g.state in FINAL]
    # A team page's poll says so: its cards name their authors.
    team_slug = request.GET.get("team", "")[:100]
    return render(
        request,
        "generations/_gallery.html#poll",
        {"generations": gens, "finished": finished, "gone": gone, "team_slug": team_slug},
    )
