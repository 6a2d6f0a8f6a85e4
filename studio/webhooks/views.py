"""`/settings/webhooks/`: endpoints (create with the secret shown once, rotate, turn back on,
delete), each one's recent attempts with a replay, and the e-mail notification switch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .models import EVENTS, Delivery, Endpoint


def _endpoint_for(user, endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=endpoint_id, user=user).first()
    if endpoint is None:
        raise Http404("No such endpoint")
    return endpoint


def _context(request: HttpRequest, **extra) -> dict:
    endpoints = list(Endpoint.objects.filter(user=request.user))
    return {
        "items": [(e, services.recent_attempts(e)) for e in endpoints],
        "disabled": [e for e in endpoints if not e.active],
        "events": EVENTS,
        "typed": {"url": "", "events": EVENTS},
        "email_when_done": services.email_when_done(request.user),
        **extra,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def endpoints(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "webhooks/settings.html", _context(request))
    typed = {"url": request.POST.get("url", ""), "events": request.POST.getlist("events")}
    try:
        endpoint = services.create_endpoint(
            user=request.user, url=typed["url"], events=typed["events"]
        )
    except services.EndpointRefused as refused:
        context = _context(request, error=refused.message, typed=typed)
        return render(request, "webhooks/settings.html", context, status=400)
    # The secret is shown on this answer only: no redirect, and never cached.
    context = _context(request, new_secret=endpoint.secret, new_endpoint=endpoint)
    return render(request, "webhooks/settings.html", context, status=201)


@never_cache
@login_required
@require_POST
def rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_for(request.user, endpoint_id)
    secret = services.rotate_secret(endpoint)
    context = _context(request, new_secret=secret, new_endpoint=endpoint, rotated=True)
    return render(request, "webhooks/settings.html", context)


@login_required
@require_POST
def enable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_for(request.user, endpoint_id)
    services.enable(endpoint)
    messages.success(request, f"{endpoint.url} is on again: new events are sent to it.")
    return redirect("webhooks")


@login_required
@require_POST
def delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_for(request.user, endpoint_id)
    endpoint.delete()
    messages.success(request, f"{endpoint.url} is deleted: nothing more is sent to it.")
    return redirect("webhooks")


@login_required
@require_POST
def replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = Delivery.objects.filter(pk=delivery_id, endpoint__user=request.user).first()
    if delivery is None:
        raise Http404("No such delivery")
    if not delivery.endpoint.active:
        messages.error(request, "Turn the endpoint on before replaying to it.")
    else:
        services.replay(delivery)
        messages.success(request, f"{delivery.event} {delivery.message_id} is being sent again.")
    return redirect("webhooks")


@login_required
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("email_when_done") == "on"
    services.set_email_when_done(user=request.user, on=on, session=request.session)
    if on and not request.user.email:
        messages.warning(request, "E-mail is on, but your account has no e-mail address yet.")
    else:
        messages.success(request, "E-mail notifications are " + ("on." if on else "off."))
    return redirect("webhooks")
