from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, replace_url, reswap, retarget, trigger_client_event

from studio.core.files import file_response
from studio.core.media import extension_for
from studio.moderation import appeals, suspension
from studio.teams.http import leaves_team_on_404
from studio.teams.models import Membership, Team
from studio.upstream import facts
from studio.usage.budgets import OverBudget

from . import access, batches, bulk, gallery, lineage, prefill, services, submission_keys
from .composer import Kept
from .forms import GenerationForm
from .models import (
    FINAL,
    PARAM_FIELDS,
    Generation,
    Output,
    Reference,
    SavedSearch,
    card_version,
)
from .prompt_history import recent_prompts
from .submission_keys import new_key

# Stored files never change under a name (a new file gets a new name): a browser may keep
# one a day. A presigned S3 redirect is kept for less (see studio.core.files).
FILE_MAX_AGE = 86400

LAST_SETTINGS = "studio.last_settings"
GALLERY_PAGE = "generations/_gallery.html#gallery-page"


def _gallery_context(request: HttpRequest, generations, *, url: str, team=None) -> dict:
    """One page of a gallery (the studio's or a team's) at `url`, filtered as asked."""
    filters = gallery.Filters.from_request(request.GET)
    page = gallery.page_of(
        filters.apply(generations, user=request.user),
        request.GET.get("cursor"),
        through=request.GET.get("through"),
    )
    page.items = access.mark_for(request.user, batches.grouped(page.items))
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
        "share_teams": list(Team.objects.shareable_by(request.user)),
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


def _studio_context(request: HttpRequest) -> dict:
    own = access.own_generations(request.user)
    return _gallery_context(request, own, url=reverse("studio"))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def studio(request: HttpRequest) -> HttpResponse:
    context = _studio_context(request)
    if _wants_gallery_page(request):
        return _gallery_page(request, context)
    # Only the whole page has the form: a gallery request must not use up the kept settings.
    initial = _studio_initial(request)
    if "team" not in initial and (default := Membership.objects.default_team_of(request.user)):
        initial["team"] = default.slug
    context["form"] = GenerationForm(initial=initial, user=request.user)
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
    context = _gallery_context(request, access.team_generations(team), url=url, team=team)
    if _wants_gallery_page(request):
        return _gallery_page(request, context)
    context["news_url"] = _news_url(url, context["filters"], timezone.now())
    context["news_seconds"] = settings.TEAM_NEWS_SECONDS
    return render(request, "generations/team.html", context)


def _news_url(url: str, filters: gallery.Filters, since) -> str:
    from urllib.parse import urlencode

    query = filters.querystring()
    return f"{url}?{urlencode({'shared_after': since.isoformat()})}" + (
        f"&{query}" if query else ""
    )


def _team_news(request: HttpRequest, team: Team, url: str) -> HttpResponse:
    """The team gallery's slow check: what was shared since its last look, or 204."""
    since = parse_datetime(request.GET.get("shared_after", "")) or timezone.now()
    filters = gallery.Filters.from_request(request.GET)
    new = (
        filters.apply(access.team_generations(team), user=request.user)
        .filter(shared_at__gt=since)
        .select_related("user", "team", "api_token")
        .prefetch_related("outputs")
        .order_by("shared_at", "id")[: gallery.PAGE_SIZE]
    )
    items = access.mark_for(request.user, new)
    if not items:
        return HttpResponse(status=204)
    context = {
        "items": list(reversed(items)),  # the newest ends up first in the gallery
        "team": team,
        "team_slug": team.slug,
        "news_url": _news_url(url, filters, items[-1].shared_at),
        "news_seconds": settings.TEAM_NEWS_SECONDS,
    }
    return render(request, "generations/team.html#news", context)


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
        pk: card_version(updated_at, team_id)
        for pk, updated_at, team_id in visible.values_list("pk", "updated_at", "team_id")
    }
    # Deleted (or no longer shared) since the page was drawn: drop the card, or the page
    # would poll for it for ever.
    gone = sorted(set(drawn) - set(now))
    changed = [pk for pk, version in now.items() if drawn[pk] != version]
    if not changed and not gone:
        return HttpResponse(status=204)
    cards = visible.filter(pk__in=changed).select_related("user", "team", "batch", "api_token")
    gens = access.mark_for(request.user, cards.prefetch_related("outputs"))
    finished = [g for g in gens if g.state in FINAL]
    # A team page's poll says so: its cards name their authors.
    team_slug = request.GET.get("team", "")[:100]
    return render(
        request,
        "generations/_gallery.html#poll",
        {"generations": gens, "finished": finished, "gone": gone, "team_slug": team_slug},
    )


@login_required
@require_GET
@never_cache
def prompt_history(request: HttpRequest) -> JsonResponse:
    """The person's own recent prompts, newest first, for the prompt box (prompt_history.js)."""
    return JsonResponse({"prompts": recent_prompts(request.user)})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    # An oversized body was refused unread by studio.core.middleware.BodyLimitMiddleware.
    key = submission_keys.posted(request)
    if key and submission_keys.claim(user=request.user, key=key) is not None:
        # A double click or a resent form: the first post's result, nothing made again.
        if request.htmx:
            return _key_renewed(reswap(HttpResponse(""), "none"))
        return redirect("studio")
    made = None
    try:
        response, made = _create(request)
    finally:
        if key:
            submission_keys.settle(user=request.user, key=key, made=made)
    return response


def _key_renewed(response: HttpResponse) -> HttpResponse:
    """The composer's next one-time key (composer.js puts it in once a repeat of the last
    click can no longer come)."""
    return trigger_client_event(response, "studio:submission-key", {"value": new_key()})


def _create(request: HttpRequest) -> tuple[HttpResponse, list[int] | None]:
    """The submission itself: its answer, and the ids it made (None when refused)."""
    try:
        suspension.check_may_submit(request.user)
    except suspension.Suspended as refused:
        return _refused(request, refused, status=403), None
    form = GenerationForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        status = 400 if "count" in form.errors else 200
        return _form_again(request, form, htmx_status=status), None
    count = form.cleaned_data["count"]
    # The rate limit counts every image of the batch before batches.create saves any (the
    # budget is checked inside, under its lock).
    if wait := services.submit_wait_seconds(user=request.user, n=count):
        form.add_error(None, _rate_message(wait))
        response = _form_again(request, form, htmx_status=429, status=429)
        response["Retry-After"] = str(wait)
        return response, None
    try:
        gens = batches.create(
            user=request.user,
            data=form.cleaned_data,
            inputs=form.inputs(),
            team=form.cleaned_data.get("team"),
            count=count,
        )
    except OverBudget as refused:
        form.add_error(None, refused.message)
        return _form_again(request, form, htmx_status=400), None
    services.submitted(user=request.user, generations=gens, data=request.POST)
    made = [g.pk for g in gens]
    announcement = (
        "Submitted: the image is on its way."
        if count == 1
        else f"Submitted: {count} images are on their way."
    )
    if request.htmx:
        return _key_renewed(_new_cards(request, gens, announcement)), made
    # Without JavaScript the page reloads: keep the prompt and settings for the next try,
    # as the htmx form does.
    request.session[LAST_SETTINGS] = {
        **gens[0].params(),
        "count": count,
        "collection": request.POST.get("collection", ""),
    }
    messages.success(request, announcement)
    return redirect("studio"), made


def _form_again(request: HttpRequest, form, *, htmx_status: int, status: int = 400) -> HttpResponse:
    """The composer with its errors (`status`, 400 unless said); uploads that passed are
    kept. htmx gets the form swapped in with `htmx_status` (composer.js swaps it even on
    an error status), others the whole page."""
    services.keep_valid_uploads(form=form, user=request.user)
    if request.htmx:
        response = render(request, "generations/_form.html", {"form": form}, status=htmx_status)
        return reswap(retarget(response, "#composer-form"), "outerHTML")
    context = {"form": form, **_studio_context(request)}
    return render(request, "generations/studio.html", context, status=status)


def _rate_message(wait: int) -> str:
    limit = settings.SUBMIT_RATE_PER_MINUTE
    return (
        f"Too many submissions: at most {limit} images a minute. Nothing was sent; "
        f"try again in {wait} s."
    )


def _refused(request: HttpRequest, refused: Exception, *, status: int) -> HttpResponse:
    """A submission refused before anything was saved: the form comes back with the reason
    (what was typed kept), swapped in for htmx, with the refusal's status either way."""
    form = GenerationForm(initial=_typed(request), user=request.user)
    if request.htmx:
        response = render(request, "generations/_form.html", {"form": form}, status=status)
        return reswap(retarget(response, "#composer-form"), "outerHTML")
    context = {"form": form, **_studio_context(request)}
    return render(request, "generations/studio.html", context, status=status)


def _typed(request: HttpRequest) -> dict:
    """The fields of a refused POST, as initial values (files are not kept: nothing is)."""
    return {f: request.POST.get(f) for f in [*PARAM_FIELDS, "count"] if f in request.POST}


def _new_cards(request: HttpRequest, gens: list[Generation], announcement: str) -> HttpResponse:
    context = {"generations": access.mark_for(request.user, gens), "announcement": announcement}
    return render(request, "generations/_gallery.html#new-card", context)


def _new_card(request: HttpRequest, gen: Generation, announcement: str) -> HttpResponse:
    return _new_cards(request, [gen], announcement)


def _back_to(request: HttpRequest, gen: Generation, team: Team | None) -> tuple[str, str]:
    """Where a detail page's "Back" goes: the team page it was opened from (`?team=`), the
    filtered studio (`?back=`, a local path only), else the studio."""
    if team is not None:
        return reverse("team-gallery", args=[team.slug]), f"Back to {team.name}"
    back = request.GET.get("back", "")
    local = back.startswith("/") and not back.startswith("//")
    if local and url_has_allowed_host_and_scheme(back, {request.get_host()}) and back != "/":
        return back, "Back to the gallery"
    return reverse("studio"), "Back to the studio"


@login_required
@require_GET
def detail(request: HttpRequest, generation_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id)
    return render(request, "generations/detail.html", _detail_context(request, gen))


def _detail_context(request: HttpRequest, gen: Generation) -> dict:
    [gen] = access.mark_for(request.user, [gen])
    back_team = Team.objects.for_member(request.user).filter(slug=request.GET.get("team", ""))
    back_team = back_team.first()
    back_url, back_label = _back_to(request, gen, back_team)
    return {
        "gen": gen,
        "back_team": back_team,
        "back_url": back_url,
        "back_label": back_label,
        "outputs": list(gen.outputs.all()),
        "source": [r for r in gen.inputs.all() if r.role == Reference.Role.SOURCE],
        "references": [r for r in gen.inputs.all() if r.role == Reference.Role.REFERENCE],
        "can_change": access.may_change(request.user, gen),
        "parent": lineage.parent_for(request.user, gen),
        "children": lineage.children_for(request.user, gen),
        **_neighbour_links(request, gen, back_team),
        "review_status": appeals.review_status(gen)
        if access.is_author(request.user, gen)
        else None,
    }


def _neighbour_links(request: HttpRequest, gen: Generation, team: Team | None) -> dict:
    """The detail pages before and after this one in the gallery it was opened from: the
    team's (`?team=`), else the person's own, filtered as its `?back=` address says."""
    if team is not None and gen.team_id == team.pk:
        qs, suffix = access.team_generations(team), f"?team={team.slug}"
    elif access.is_author(request.user, gen):
        back = request.GET.get("back", "")
        local = back.startswith("/") and not back.startswith("//")
        query = urlsplit(back).query if local else ""
        filters = gallery.Filters.from_request(QueryDict(query))
        qs = filters.apply(access.own_generations(request.user), user=request.user)
        suffix = f"?{urlencode({'back': back})}" if query else ""
    else:
        return {}
    before, after = gallery.neighbours(qs, gen)
    url = "generation-detail"
    return {
        "previous_url": reverse(url, args=[before]) + suffix if before else "",
        "next_url": reverse(url, args=[after]) + suffix if after else "",
    }


def _back(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure())
    return nxt if nxt and ok else default


def _card(request: HttpRequest, gen: Generation) -> HttpResponse:
    """The card again after an action, drawn for the gallery it sits in."""
    [gen] = access.mark_for(request.user, [gen])
    team_slug = request.POST.get("from_team", "")
    return render(request, "generations/_card.html", {"gen": gen, "team_slug": team_slug})


@login_required
@require_POST
def favourite(request: HttpRequest, generation_id: int) -> HttpResponse:
    # Anyone who sees it may star it: the star is theirs (see access.may_favourite).
    gen = access.get_generation_for(request.user, generation_id)
    services.toggle_favourite(user=request.user, generation=gen)
    if request.htmx:
        return _card(request, gen)
    return redirect(_back(request, reverse("generation-detail", args=[gen.pk])))


@login_required
@require_POST
def share(request: HttpRequest, generation_id: int) -> HttpResponse:
    """Share with the team named by slug in `team`, or (empty) make it mine only again."""
    gen = access.get_generation_for(request.user, generation_id)
    slug = request.POST.get("team", "").strip()
    team = None
    if slug:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise Http404("No such team")
    services.share(user=request.user, generation=gen, team=team)
    if request.htmx:
        from_team = request.POST.get("from_team", "")
        if from_team and (gen.team is None or gen.team.slug != from_team):
            # Taken out of the team gallery it was shown in: the card leaves that page.
            return reswap(HttpResponse(""), "delete")
        return _card(request, gen)
    if team is not None:
        messages.success(request, f"Shared with {team.name}.")
    else:
        messages.success(request, "Only you see it now.")
    return redirect(_back(request, reverse("generation-detail", args=[gen.pk])))


@login_required
@require_POST
def retry(request: HttpRequest, generation_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id, write=True)
    key = submission_keys.posted(request)
    if key and (first := submission_keys.claim(user=request.user, key=key)) is not None:
        # A double click on Retry: the first click's retry, nothing made again.
        if request.htmx:
            return reswap(HttpResponse(""), "none")
        made = first.generation_ids
        return redirect("generation-detail", made[0] if made else gen.pk)
    made = None
    try:
        response, made = _retry(request, gen)
    finally:
        if key:
            submission_keys.settle(user=request.user, key=key, made=made)
    return response


def _retry(request: HttpRequest, gen: Generation) -> tuple[HttpResponse, list[int] | None]:
    try:
        suspension.check_may_submit(request.user)
    except suspension.Suspended as refused:
        return _refused(request, refused, status=403), None
    if not gen.retryable:
        messages.error(request, "Only a failure that may succeed on a second try can be retried.")
        return redirect("generation-detail", gen.pk), None
    if wait := services.submit_wait_seconds(user=request.user, n=1):
        response = HttpResponse(
            _rate_message(wait), status=429, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = str(wait)
        return response, None
    try:
        new = services.retry_generation(gen)
    except OverBudget as refused:
        if request.htmx:
            # Shown in the page's toast (gallery.js shows a plain-text error body).
            response = HttpResponse(
                refused.message, status=400, content_type="text/plain; charset=utf-8"
            )
            return response, None
        # Back to the page the Retry was on, with the reason: the browser must not stay
        # on the retry URL (reloading it would post again).
        messages.error(request, refused.message)
        return redirect(_back(request, reverse("generation-detail", args=[gen.pk]))), None
    if request.htmx:
        return _new_card(request, new, "Retrying: a new generation was submitted."), [new.pk]
    messages.success(request, "Retrying: a new generation was submitted.")
    return redirect("generation-detail", new.pk), [new.pk]


@login_required
@require_POST
def appeal(request: HttpRequest, generation_id: int) -> HttpResponse:
    """The author asks for a human review of a moderated failure, once."""
    gen = access.get_generation_for(request.user, generation_id, write=True)
    try:
        appeals.appeal(generation=gen, note=request.POST.get("note", ""))
    except appeals.AppealRefused as refused:
        messages.error(request, str(refused))
        return redirect(_back(request, reverse("generation-detail", args=[gen.pk])))
    messages.success(request, "Thank you: a reviewer will look at it.")
    return redirect(_back(request, reverse("generation-detail", args=[gen.pk])))


@login_required
def delete(request: HttpRequest, generation_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id, write=True)
    if request.method == "POST":
        services.delete_generation(gen)
        messages.success(request, "The generation and its files were deleted.")
        # Back to the gallery it was opened from, filters and all.
        return redirect(_back(request, reverse("studio")))
    back = _back(request, "")
    context = {"gen": gen, "thumb": gen.outputs.first(), "next": back}
    return render(request, "generations/delete.html", context)


def _output_for(request: HttpRequest, generation_id: int, position: int) -> Output:
    gen = access.get_generation_for(request.user, generation_id)
    try:
        return gen.outputs.get(position=position)
    except Output.DoesNotExist:
        raise Http404("No such output") from None


@login_required
@require_POST
def use_as_reference(request: HttpRequest, generation_id: int, position: int) -> HttpResponse:
    """ "Use as reference": a copy of the output joins the composer's kept references (the
    kept-reference fragment, for htmx; viewer.js sends what the form holds now). Without
    htmx, the studio opens with it kept."""
    out = _output_for(request, generation_id, position)
    if not request.htmx:
        prefill.copy_output(request.user, out)  # the studio's prefill finds this copy
        query = urlencode({"reference": generation_id, "output": position})
        return redirect(f"{reverse('studio')}?{query}")
    kept = [t for t in request.POST.getlist("kept_ref") if t]
    try:
        others = int(request.POST.get("other_refs", "0"))
    except ValueError:
        others = 0
    given = len(kept) + max(others, 0)
    if refusal := prefill.reference_refusal(type_=request.POST.get("type", ""), given=given):
        return HttpResponse(refusal, status=400, content_type="text/plain; charset=utf-8")
    staged = prefill.copy_output(request.user, out)
    if staged.token in kept:
        return HttpResponse(
            "This image is already among the references.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    context = {"kept": Kept.of(staged), "field_name": "kept_ref", "announce": True}
    return render(request, "generations/_kept_thumb.html", context)


@login_required
@require_GET
def output_file(request: HttpRequest, generation_id: int, position: int) -> HttpResponse:
    out = _output_for(request, generation_id, position)
    return file_response(
        out.file,
        content_type=out.media_type,
        max_age=FILE_MAX_AGE,
        as_attachment="download" in request.GET,
        filename=f"{out.generation.download_stem}-{position + 1}.{extension_for(out.media_type)}",
    )


@login_required
@require_GET
def output_thumbnail(request: HttpRequest, generation_id: int, position: int) -> HttpResponse:
    out = _output_for(request, generation_id, position)
    return file_response(out.thumbnail, content_type="image/webp", max_age=FILE_MAX_AGE)


@login_required
@require_GET
def input_file(request: HttpRequest, generation_id: int, input_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id)
    ref = gen.inputs.filter(pk=input_id).exclude(file="").first()
    if ref is None:
        raise Http404("No such input")
    return file_response(ref.file, content_type=ref.media_type, max_age=FILE_MAX_AGE)


@login_required
@require_GET
def batch_compare(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The images of one batch side by side, each with its state and actions."""
    members = access.mark_for(request.user, access.batch_members_for(request.user, batch_id))
    batch = members[0].batch
    context = {
        "batch": batch,
        "members": members,
        "in_flight": any(m.in_flight for m in members),
    }
    return render(request, "generations/compare.html", context)


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """`action` on every `ids` the person may act on; the rest skipped and reported."""
    action = request.POST.get("action", "")
    back = _back(request, reverse("studio"))
    try:
        ids = bulk.parse_ids(request.POST.getlist("ids"))
        if action == "download":
            return _zip_response(bulk.download(user=request.user, ids=ids))
        if action == "delete" and request.POST.get("confirm") != "1":
            # One confirmation for the lot, saying how many (the page's script asks it in
            # a dialog; without script this page asks).
            context = {"ids": ids, "count": len(ids), "next": back}
            return render(request, "generations/bulk_delete.html", context)
        if plugged := bulk.plugged_in(action):
            message = plugged(user=request.user, ids=ids, data=request.POST)
        else:
            message = bulk.apply(
                user=request.user, action=action, ids=ids, team_slug=request.POST.get("team", "")
            ).message()
    except bulk.BulkError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    messages.success(request, message + ".")
    return redirect(back)


def _zip_response(download: bulk.Download) -> StreamingHttpResponse:
    response = StreamingHttpResponse(download.stream(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    # What was left out, for a script (the browser only saves the file).
    response["X-Studio-Bulk"] = download.outcome.message()
    response["Cache-Control"] = "private, no-store"
    return response
