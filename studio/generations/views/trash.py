"""The trash page (/trash/): what the person deleted in the last 30 days, to restore or to
empty for good; and Undo, which the toast and the message after a Delete post to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio.core.files import file_response
from studio.core.http import next_url, text_error

from .. import bulk, trash


@login_required
@require_GET
def trash_page(request: HttpRequest) -> HttpResponse:
    items = list(trash.trashed_for(request.user).prefetch_related("outputs")[:500])
    context = {"items": items, "keep_days": trash.KEEP.days}
    return render(request, "generations/trash.html", context)


@login_required
@require_GET
def trash_thumbnail(request: HttpRequest, generation_id: int) -> HttpResponse:
    """A trashed item's thumbnail, for its author's trash page only."""
    gen = trash.trashed_for(request.user).filter(pk=generation_id).first()
    out = gen.outputs.first() if gen else None
    if out is None or not out.thumbnail:
        raise Http404("No such item in your trash")
    return file_response(out.thumbnail, content_type="image/webp", max_age=60)


@login_required
@require_POST
def restore(request: HttpRequest) -> HttpResponse:
    try:
        # A row's own Restore button names its item alone, whatever else is ticked.
        ids = bulk.parse_ids(request.GET.getlist("only") or request.POST.getlist("ids"))
    except bulk.BulkError as exc:
        return text_error(str(exc))
    restored = trash.restore(user=request.user, ids=ids)
    messages.success(request, _restored(restored))
    if request.htmx:
        # The restored cards take their places again: the page is drawn afresh.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(next_url(request, reverse("trash")))


@login_required
@require_POST
def empty(request: HttpRequest) -> HttpResponse:
    purged = trash.empty(user=request.user)
    what = "1 item was" if purged == 1 else f"{purged} items were"
    messages.success(request, f"The trash is empty: {what} deleted for good.")
    return redirect("trash")


def _restored(n: int) -> str:
    if n == 0:
        return "Nothing to restore: it is no longer in the trash."
    return "Restored 1 item." if n == 1 else f"Restored {n} items."


def trashed_message(n: int) -> str:
    return "Moved to the trash." if n == 1 else f"Moved {n} items to the trash."


def undo_tag(ids: list[int]) -> str:
    """A message's extra tags that make base.html draw an Undo button for `ids`."""
    return "undo:" + ",".join(str(i) for i in ids)
