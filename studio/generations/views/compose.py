"""Composing: the submission itself, the prompt box's history, "Use as reference" into the
composer, and the one way a refused submission brings the form back."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from studio.core.http import text_error

from .. import access, batches, gate, prefill, services, submission_keys
from ..composer import Kept
from ..forms import GenerationForm
from ..models import PARAM_FIELDS, Generation
from ..prompt_history import recent_prompts
from ..submission_keys import new_key
from .files import output_for
from .galleries import LAST_SETTINGS, studio_context


@login_required
@require_GET
@never_cache
def prompt_history(request: HttpRequest) -> JsonResponse:
    """The person's own recent prompts, newest first, for the prompt box (prompt_history.js)."""
    return JsonResponse({"prompts": recent_prompts(request.user)})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    # An oversized body was refused unread by studio.uploads.middleware.BodyLimitMiddleware.
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
    form = GenerationForm(request.POST, request.FILES, user=request.user)
    try:
        gate.admit(user=request.user, form=form)
        count = form.cleaned_data["count"]
        gens = batches.create(
            user=request.user,
            data=form.cleaned_data,
            inputs=form.inputs(),
            team=form.cleaned_data.get("team"),
            count=count,
        )
    except gate.SubmissionRefused as refused:
        return _refusal(request, form, refused), None
    services.submitted(user=request.user, generations=gens, data=request.POST)
    made = [g.pk for g in gens]
    announcement = (
        "Submitted: the image is on its way."
        if count == 1
        else f"Submitted: {count} images are on their way."
    )
    if request.htmx:
        return _key_renewed(new_cards(request, gens, announcement)), made
    # Without JavaScript the page reloads: keep the prompt and settings for the next try,
    # as the htmx form does.
    request.session[LAST_SETTINGS] = {
        **gens[0].params(),
        "count": count,
        "collection": request.POST.get("collection", ""),
    }
    messages.success(request, announcement)
    return redirect("studio"), made


def _refusal(
    request: HttpRequest, form: GenerationForm, refused: gate.SubmissionRefused
) -> HttpResponse:
    """The composer's answer to a refused submission: a suspended person gets what they
    typed back (403; the form shows why), an invalid form its errors (400, or 200 to htmx
    unless the batch size was wrong), the rate limit 429 with Retry-After, a budget 400."""
    if refused.reason == gate.INVALID:
        htmx_status = 400 if "count" in form.errors else 200
        return refused_form(request, form, status=400, htmx_status=htmx_status)
    if refused.reason == gate.RATE_LIMITED:
        form.add_error(None, refused.message)
        response = refused_form(request, form, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
    if refused.reason == gate.OVER_BUDGET:
        form.add_error(None, refused.message)
        return refused_form(request, form, status=400)
    return refused_form(request, typed_form(request), status=403)


def refused_form(
    request: HttpRequest, form: GenerationForm, *, status: int, htmx_status: int | None = None
) -> HttpResponse:
    """The composer again after a refusal, with `form`'s errors (uploads that passed are
    kept) and the refusal's `status`. htmx gets the form swapped in, with `htmx_status` when
    it differs (composer.js swaps it even on an error status); others the whole page."""
    if form.is_bound:
        services.keep_valid_uploads(form=form, user=request.user)
    if request.htmx:
        response = render(
            request,
            "generations/_form.html",
            {"form": form},
            status=status if htmx_status is None else htmx_status,
        )
        return reswap(retarget(response, "#composer-form"), "outerHTML")
    context = {"form": form, **studio_context(request)}
    return render(request, "generations/studio.html", context, status=status)


def typed_form(request: HttpRequest) -> GenerationForm:
    """A form holding what a refused POST typed, unvalidated (files are not kept: a
    submission refused before validation keeps nothing)."""
    typed = {f: request.POST.get(f) for f in [*PARAM_FIELDS, "count"] if f in request.POST}
    return GenerationForm(initial=typed, user=request.user)


def new_cards(
    request: HttpRequest,
    gens: list[Generation],
    announcement: str,
    *,
    redrawn: list[Generation] | None = None,
) -> HttpResponse:
    """The cards a submission made, for the top of the gallery, with a word for the page;
    `redrawn` cards already on the page are drawn again in place (a retried batch member
    left its slot, so its old card no longer says "3 of 4")."""
    context = {
        "generations": access.for_viewer(request.user, gens),
        "redrawn": access.for_viewer(request.user, redrawn or []),
        "announcement": announcement,
    }
    return render(request, "generations/_gallery.html#new-card", context)


@login_required
@require_POST
def use_as_reference(request: HttpRequest, generation_id: int, position: int) -> HttpResponse:
    """ "Use as reference": a copy of the output joins the composer's kept references (the
    kept-reference fragment, for htmx; viewer.js sends what the form holds now). Without
    htmx, the studio opens with it kept."""
    out = output_for(request, generation_id, position)
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
        return text_error(refusal)
    staged = prefill.copy_output(request.user, out)
    if staged.token in kept:
        return text_error("This image is already among the references.")
    context = {"kept": Kept.of(staged), "field_name": "kept_ref", "announce": True}
    return render(request, "generations/_kept_thumb.html", context)
