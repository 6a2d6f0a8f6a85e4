"""Saved searches: a person names the gallery's current filters and finds them again."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..gallery import Filters
from ..models import SavedSearch

MAX_SAVED = 50


def _local(url: str) -> str:
    """The path of a local gallery address, or the studio's."""
    if url.startswith("/") and not url.startswith("//"):
        return urlsplit(url).path
    return reverse("studio")


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    """Save `query` (a gallery's filters, as its address has them) as `name`."""
    filters = Filters.from_request(QueryDict(request.POST.get("query", "").lstrip("?")))
    where = _local(request.POST.get("next", ""))
    name = " ".join(request.POST.get("name", "").split())[:100]
    query = filters.querystring()
    if not filters.active:
        messages.error(request, "Choose some filters or search words first, then save them.")
    elif SavedSearch.objects.filter(user=request.user).count() >= MAX_SAVED:
        messages.error(request, f"At most {MAX_SAVED} saved searches: delete one first.")
    else:
        SavedSearch.objects.create(user=request.user, name=name or filters.q or query, query=query)
        messages.success(request, "Search saved.")
    return redirect(f"{where}?{query}" if query else where)


@login_required
@require_POST
def delete_search(request: HttpRequest, search_id: int) -> HttpResponse:
    deleted, _ = SavedSearch.objects.filter(user=request.user, pk=search_id).delete()
    if not deleted:
        raise Http404("No such saved search")
    messages.success(request, "Saved search deleted.")
    return redirect(_local(request.POST.get("next", "")))
