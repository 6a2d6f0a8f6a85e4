"""Public links: making one from an image's or a collection's page, the owner's list at
/settings/links/ (revoke), and the public page at /s/<token>/ with its files."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.collections import gallery as collection_gallery
from studio.core.files import file_response
from studio.generations.gallery import PAGE_SIZE

from . import access, services, throttle
from .forms import LinkForm


def _back(request: HttpRequest, default: str, link_id: int | None = None) -> str:
    """The page the form was on (a local `next`), with `link=<id>` so that it opens its
    "Public link" panel on the new link."""
    nxt = request.POST.get("next") or ""
    ok = nxt.startswith("/") and url_has_allowed_host_and_scheme(nxt, {request.get_host()})
    parts = urlsplit(nxt if ok else default)
    query = QueryDict(parts.query, mutable=True)
    query.pop("link", None)
    if link_id is not None:
        query["link"] = str(link_id)
    return urlunsplit(("", "", parts.path, query.urlencode(), "public-links"))


def _make(request: HttpRequest, *, generation=None, collection=None) -> HttpResponse:
    """GET: the form on a page of its own; POST: make the link and go back to the item's
    page, or show the form again with what was chosen and what is wrong (400)."""
    default = (
        reverse("generation-detail", args=[generation.pk])
        if generation is not None
        else reverse("collection", args=[collection.pk])
    )
    form = LinkForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            link = services.make_link(
                user=request.user,
                generation=generation,
                collection=collection,
                show_prompt=form.cleaned_data["show_prompt"],
                expires_at=form.expires_at(),
            )
        except services.LinkRefused as refused:
            refusal = str(refused)
        else:
            messages.success(
                request, "Public link made: copy it below. Anyone who has it sees this."
            )
            return redirect(_back(request, default, link.pk))
    context = {
        "form": form,
        "refusal": refusal,
        "gen": generation,
        "collection": collection,
        "action": request.path,
        "back": default,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "links/make.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def make_for_generation(request: HttpRequest, generation_id: int) -> HttpResponse:
    return _make(request, generation=access.own_generation(request.user, generation_id))


@login_required
@require_http_methods(["GET", "POST"])
def make_for_collection(request: HttpRequest, collection_id: int) -> HttpResponse:
    return _make(request, collection=access.own_collection(request.user, collection_id))


@login_required
@require_GET
def my_links(request: HttpRequest) -> HttpResponse:
    items = services.listed(request.user, build_url=request.build_absolute_uri)
    context = {"items": items, "limit": services.max_links()}
    return render(request, "links/settings.html", context)


@login_required
@require_POST
def revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    link = access.get_link_for(request.user, link_id)
    services.revoke_link(link=link, by=request.user)
    messages.success(request, "Public link revoked: its address no longer opens anything.")
    nxt = request.POST.get("next") or ""
    if nxt.startswith("/") and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
        return redirect(nxt)
    return redirect("public-links")


# --- The public side: no sign-in, nothing but the images -----------------------------------


def _private(response: HttpResponse, *, page: bool = True) -> HttpResponse:
    """Kept out of search engines and caches, and no address sent on from it."""
    response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    response["Referrer-Policy"] = "no-referrer"
    if page:
        # The page says what the link shows now: after a revoke, Back or a reload must not
        # draw it from a cache.
        response["Cache-Control"] = "no-store"
    return response


def _gone(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "links/gone.html", status=404))


def _too_many(request: HttpRequest, seconds: int, *, page: bool) -> HttpResponse:
    """429 with Retry-After: a page saying when to come back, or for a file nothing."""
    if page:
        response = render(request, "links/too_many.html", {"seconds": seconds}, status=429)
    else:
        response = HttpResponse(status=429)
    response["Retry-After"] = str(seconds)
    return _private(response, page=page)


@require_GET
def public_page(request: HttpRequest, token: str) -> HttpResponse:
    if wait := throttle.wait_seconds(request):
        return _too_many(request, wait, page=True)
    try:
        link = access.open_link(token)
    except Http404:
        return _gone(request)
    shown = access.shown_generations(link)
    cursor = request.GET.get("cursor", "")
    if link.generation_id:
        gen = shown.prefetch_related("outputs").first()
        if gen is None:
            return _gone(request)
        items, next_cursor = [gen], None
    else:
        items, next_cursor = _collection_page(shown, cursor)
        if not items and cursor:
            return _gone(request)
    if not cursor and request.user.pk != link.user_id:
        services.count_view(link)
    context = {
        "link": link,
        "token": token,
        "items": items,
        "single": bool(link.generation_id),
        "more_url": f"?{urlencode({'cursor': next_cursor})}" if next_cursor else "",
    }
    return _private(render(request, "links/public.html", context))


def _collection_page(shown, cursor: str):
    """One page of a collection's shown items in its own order (keyset on position, id),
    their outputs in one more query."""
    qs = collection_gallery.ordered(shown).prefetch_related("outputs")
    if cursor:
        position = collection_gallery.decode_cursor(cursor)
        if position is None:
            return [], None
        slot, pk = position
        qs = qs.filter(Q(slot__gt=slot) | Q(slot=slot, pk__gt=pk))
    got = list(qs[: PAGE_SIZE + 1])
    more = len(got) > PAGE_SIZE
    got = got[:PAGE_SIZE]
    return got, collection_gallery.encode_cursor(got[-1]) if more and got else None


def _file(token: str, output_id: int, *, thumbnail: bool) -> HttpResponse:
    link = access.open_link(token)
    out = access.shown_output(link, output_id)
    response = file_response(
        out.thumbnail if thumbnail else out.file,
        content_type="image/webp" if thumbnail else out.media_type,
        max_age=settings.PUBLIC_LINK_FILE_SECONDS,
    )
    return _private(response, page=False)


@require_GET
def public_file(request: HttpRequest, token: str, output_id: int) -> HttpResponse:
    if wait := throttle.wait_seconds(request):
        return _too_many(request, wait, page=False)
    return _file(token, output_id, thumbnail=False)


@require_GET
def public_thumbnail(request: HttpRequest, token: str, output_id: int) -> HttpResponse:
    if wait := throttle.wait_seconds(request):
        return _too_many(request, wait, page=False)
    return _file(token, output_id, thumbnail=True)
