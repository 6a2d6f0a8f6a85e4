"""Several at once: an action on the selected cards, and a batch's images side by side."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio.core.http import next_url, text_error

from .. import access, bulk
from .trash import undo_tag


@login_required
@require_GET
def batch_compare(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The images of one batch side by side, each with its state and actions."""
    members = access.for_viewer(request.user, access.batch_members_for(request.user, batch_id))
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
    back = next_url(request, reverse("studio"))
    try:
        ids = bulk.parse_ids(request.POST.getlist("ids"))
        if action == "download":
            return _zip_response(bulk.download(user=request.user, ids=ids))
        if action == "delete":
            # No confirmation: the message after it has Undo (the trash keeps them 30 days).
            outcome = bulk.apply(user=request.user, action=action, ids=ids)
            done = [g.pk for g in outcome.done]
            tags = undo_tag(done) if done else ""
            messages.success(request, outcome.message() + ".", extra_tags=tags)
            return redirect(back)
        if plugged := bulk.plugged_in(action):
            message = plugged(user=request.user, ids=ids, data=request.POST)
        else:
            message = bulk.apply(
                user=request.user, action=action, ids=ids, team_slug=request.POST.get("team", "")
            ).message()
    except bulk.BulkError as exc:
        return text_error(str(exc))
    messages.success(request, message + ".")
    return redirect(back)


def _zip_response(download: bulk.Download) -> StreamingHttpResponse:
    response = StreamingHttpResponse(download.stream(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    # What was left out, for a script (the browser only saves the file).
    response["X-Studio-Bulk"] = download.outcome.message()
    response["Cache-Control"] = "private, no-store"
    return response
