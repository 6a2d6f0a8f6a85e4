from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from studio.generations import access as generation_access
from studio.generations import gallery as generation_gallery
from studio.generations.bulk import BulkError, parse_ids
from studio.generations.models import SavedSearch
from studio.teams.models import Team
from studio.upstream import facts

from . import access, gallery, services

GALLERY_PAGE = "generations/_gallery.html#gallery-page"


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _back(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or ""
    ok = url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure())
    return nxt if nxt and ok else default


@login_required
@require_http_methods(["GET", "POST"])
def collection_list(request: HttpRequest) -> HttpResponse:
    """Mine and my teams'; a POST with `name` (and `team`, a slug) makes one."""
    error, name = "", ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        slug = request.POST.get("team", "").strip()
        team = None
        if slug:
            team = Team.objects.for_member(request.user).filter(slug=slug).first()
            if team is None:
                raise Http404("No such team")
            if not team.can_share(request.user):
                return _text("Only the team's editors and owners make its collections.", 403)
        try:
            collection = services.create_collection(user=request.user, name=name, team=team)
        except services.CollectionError as refused:
            error = str(refused)
        else:
            return redirect("collection", collection.pk)
    collections = list(_with_counts(request.user, access.visible_collections(request.user)))
    for c in collections:
        c.cover_gen = services.cover_of(request.user, c)
    context = {
        "collections": collections,
        "teams": list(Team.objects.shareable_by(request.user)),
        "error": error,
        "name": name,
    }
    return render(request, "collections/list.html", context, status=400 if error else 200)


def _with_counts(user, collections):
    """Each collection with the number of items anyone who sees it is shown."""
    member_of = Team.objects.for_member(user).values("pk")
    personal = Q(team__isnull=True) & (
        Q(items__generation__user=user) | Q(items__generation__team__in=member_of)
    )
    teams = Q(team__isnull=False, items__generation__team=F("team"))
    return (
        collections.select_related("team")
        .annotate(item_count=Count("items", filter=personal | teams))
        .order_by("team__name", "name", "pk")
    )


@login_required
@vary_on_headers("HX-Request")
def collection_page(request: HttpRequest, collection_id: int) -> HttpResponse:
    """A collection as a gallery: the studio's filters, keyset paging, viewer and selection."""
    if request.method != "GET":
        return HttpResponse(status=405)
    collection = access.get_collection_for(request.user, collection_id)
    url = reverse("collection", args=[collection.pk])
    filters = generation_gallery.Filters.from_request(request.GET)
    shown = filters.apply(access.items_of(request.user, collection), user=request.user)
    page = gallery.page_of(shown, request.GET.get("cursor"))
    page.items = generation_access.for_viewer(request.user, page.items)
    query = filters.querystring()
    more = f"{url}?cursor={page.next_cursor}" + (f"&{query}" if query else "")
    editable = access.may_change(request.user, collection)
    context = {
        "collection": collection,
        "collection_editable": editable,
        "page": page,
        "filters": filters,
        "team": None,
        "team_slug": collection.team.slug if collection.team_id else "",
        "gallery_url": url,
        "gallery_title": f"In {collection.name}",
        "empty_text": "Nothing in this collection yet: add images from a card's More menu "
        "or with Select.",
        "filtered_url": f"{url}?{query}" if query else url,
        "more_url": more if page.next_cursor else None,
        "states": ["active", "completed", "failed"],
        "share_teams": list(Team.objects.shareable_by(request.user)),
        "models": facts.MODELS,
        "ratios": facts.ASPECT_RATIOS,
        "styles": facts.STYLES,
        "saved_searches": list(SavedSearch.objects.filter(user=request.user)),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, GALLERY_PAGE, context)
        if not request.GET.get("cursor"):
            push_url(response, context["filtered_url"])
        return response
    context["count"], context["count_exact"] = gallery.shown_count(
        access.items_of(request.user, collection), collection
    )
    return render(request, "collections/collection.html", context)


def _ids(request: HttpRequest) -> list[int] | HttpResponse:
    """The posted `ids`, or the 400 that says what is wrong with them."""
    try:
        return parse_ids(request.POST.getlist("ids"))
    except BulkError as refused:
        return _text(str(refused), 400)


@login_required
@require_POST
def add(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = access.get_collection_for(request.user, collection_id, write=True)
    ids = _ids(request)
    if isinstance(ids, HttpResponse):
        return ids
    outcome = services.add(user=request.user, collection=collection, ids=ids)
    if request.htmx:
        return _text(outcome.message(collection) + ".", 200)
    messages.success(request, outcome.message(collection) + ".")
    return redirect(_back(request, reverse("collection", args=[collection.pk])))


@login_required
@require_POST
def remove(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = access.get_collection_for(request.user, collection_id, write=True)
    ids = _ids(request)
    if isinstance(ids, HttpResponse):
        return ids
    removed = services.remove(collection=collection, ids=ids)
    if request.htmx:
        # The card leaves the collection's page (htmx's "delete" swap of its target).
        return HttpResponse("")
    messages.success(
        request, f"{removed} removed from {collection.name} (the images themselves stay)."
    )
    return redirect(_back(request, reverse("collection", args=[collection.pk])))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@login_required
@require_POST
def move(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Reorder: `id` goes just before `before` (empty: last), or one `step` (-1 / 1)."""
    collection = access.get_collection_for(request.user, collection_id, write=True)
    gen_id = _int(request.POST.get("id"))
    if gen_id is None:
        return _text("Say which image to move.", 400)
    try:
        if request.POST.get("step") in ("-1", "1"):
            by = int(request.POST["step"])
            services.step(user=request.user, collection=collection, generation_id=gen_id, by=by)
        else:
            before = _int(request.POST.get("before"))
            services.move(
                user=request.user, collection=collection, generation_id=gen_id, before=before
            )
    except services.CollectionError as refused:
        return _text(str(refused), 400)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(_back(request, reverse("collection", args=[collection.pk])) + f"#gen-{gen_id}")


@login_required
@require_POST
def cover(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = access.get_collection_for(request.user, collection_id, write=True)
    gen_id = _int(request.POST.get("id"))
    try:
        services.set_cover(user=request.user, collection=collection, generation_id=gen_id or 0)
    except services.CollectionError as refused:
        return _text(str(refused), 400)
    messages.success(request, f"The cover of {collection.name} was changed.")
    return redirect(_back(request, reverse("collection", args=[collection.pk])))


@login_required
@require_POST
def delete(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = access.get_collection_for(request.user, collection_id, write=True)
    name = collection.name
    services.delete_collection(collection=collection)
    messages.success(request, f"The collection {name} was deleted; its images were not.")
    return redirect("collections")
