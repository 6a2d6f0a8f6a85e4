"""One generation: its detail page, and what its card and page do to it (star, share,
retry, delete)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap

from studio.core.http import next_url, text_error
from studio.teams.models import Team

from .. import access, cards, gallery, gate, lineage, services, submission_keys, trash
from ..models import Generation, Reference
from .compose import new_cards, refused_form, typed_form
from .trash import trashed_message, undo_tag


@login_required
@require_GET
def detail(request: HttpRequest, generation_id: int) -> HttpResponse:
    gen = access.get_generation_for(request.user, generation_id)
    return render(request, "generations/detail.html", _detail_context(request, gen))


def _detail_context(request: HttpRequest, gen: Generation) -> dict:
    [gen] = access.for_viewer(request.user, [gen])
    back_team = Team.objects.for_member(request.user).filter(slug=request.GET.get("team", ""))
    back_team = back_team.first()
    back_url, back_label = _back_link(request, back_team)
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
    }


def _back_link(request: HttpRequest, team: Team | None) -> tuple[str, str]:
    """The detail page's "Back" link and its words: the team page it was opened from
    (`?team=`), the filtered studio (`?back=`, a local path only), else the studio."""
    if team is not None:
        return reverse("team-gallery", args=[team.slug]), f"Back to {team.name}"
    back = request.GET.get("back", "")
    local = back.startswith("/") and not back.startswith("//")
    if local and url_has_allowed_host_and_scheme(back, {request.get_host()}) and back != "/":
        return back, "Back to the gallery"
    return reverse("studio"), "Back to the studio"


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


def _card(request: HttpRequest, gen: Generation) -> HttpResponse:
    """The card again after an action, drawn for the gallery it sits in."""
    [gen] = access.for_viewer(request.user, [gen])
    team_slug = request.POST.get("from_team", "")
    return HttpResponse(cards.draw(request, [gen], team_slug=team_slug))


def _after_action(request: HttpRequest, gen: Generation) -> str:
    """Where a page's action returns without htmx: its `next`, else the detail page."""
    return next_url(request, reverse("generation-detail", args=[gen.pk]))


@login_required
@require_POST
def favourite(request: HttpRequest, generation_id: int) -> HttpResponse:
    # Anyone who sees it may star it: the star is theirs (see access.may_favourite).
    gen = access.get_generation_for(request.user, generation_id)
    services.toggle_favourite(user=request.user, generation=gen)
    if request.htmx:
        return _card(request, gen)
    return redirect(_after_action(request, gen))


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
    return redirect(_after_action(request, gen))


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
        gate.check_person(request.user)
        if not gen.retryable:
            messages.error(
                request, "Only a failure that may succeed on a second try can be retried."
            )
            return redirect("generation-detail", gen.pk), None
        gate.check_rate(request.user, 1)
        new = services.retry_generation(gen)
    except gate.SubmissionRefused as refused:
        return _retry_refused(request, gen, refused), None
    announcement = "Retrying: a new generation was submitted."
    if request.htmx:
        # The old card is drawn again with the key this post spent, so a second click on
        # its Retry is answered with this one's result instead of making another job.
        gen.spent_submission_key = submission_keys.posted(request)
        return new_cards(request, [new], announcement, redrawn=[gen]), [new.pk]
    messages.success(request, announcement)
    return redirect("generation-detail", new.pk), [new.pk]


def _retry_refused(
    request: HttpRequest, gen: Generation, refused: gate.SubmissionRefused
) -> HttpResponse:
    """Retry's answer to the gate: a suspended person gets the composer's 403, the rate
    limit a plain 429 with Retry-After, a budget a plain 400 for htmx (the page's toast) or
    the page the Retry was on with the reason (the browser must not stay on the retry URL:
    reloading it would post again)."""
    if refused.reason == gate.RATE_LIMITED:
        response = text_error(refused.message, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
    if refused.reason == gate.OVER_BUDGET:
        if request.htmx:
            return text_error(refused.message)
        messages.error(request, refused.message)
        return redirect(_after_action(request, gen))
    return refused_form(request, typed_form(request), status=403)


@login_required
@require_POST
def delete(request: HttpRequest, generation_id: int) -> HttpResponse:
    """To the trash, at once (no confirmation: Undo is one click away). htmx: the card goes
    and the toast offers Undo; without script, back to the gallery it was deleted from,
    filters and all, whose message has the Undo button."""
    gen = access.get_generation_for(request.user, generation_id, write=True)
    ids = trash.trash([gen])
    back = next_url(request, reverse("studio"))
    if request.htmx:
        undo_ids = ",".join(map(str, ids))
        context = {"undo_ids": undo_ids, "message": trashed_message(len(ids)), "next": back}
        return render(request, "generations/_trashed_toast.html", context)
    messages.success(request, trashed_message(len(ids)), extra_tags=undo_tag(ids))
    return redirect(back)
