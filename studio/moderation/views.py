"""The author's side of review: asking for one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from studio.core.http import next_url
from studio.generations import access

from . import appeals


@login_required
@require_POST
def appeal(request: HttpRequest, generation_id: int) -> HttpResponse:
    """The author asks for a human review of a moderated failure, once."""
    gen = access.get_generation_for(request.user, generation_id, write=True)
    back = next_url(request, reverse("generation-detail", args=[gen.pk]))
    try:
        appeals.appeal(generation=gen, note=request.POST.get("note", ""))
    except appeals.AppealRefused as refused:
        messages.error(request, str(refused))
        return redirect(back)
    messages.success(request, "Thank you: a reviewer will look at it.")
    return redirect(back)
