"""The provider sign-in's two URLs (start, callback) and their clear failure pages."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from . import oidc

log = logging.getLogger("studio.accounts.oidc")


def failure(request: HttpRequest, *, title: str, detail: str, status: int) -> HttpResponse:
    context = {
        "title": title,
        "detail": detail,
        "provider": oidc.provider_name(),
        "password_login": settings.STUDIO_PASSWORD_LOGIN,
    }
    return render(request, "registration/oidc_failed.html", context, status=status)


def _unavailable(request: HttpRequest) -> HttpResponse:
    return failure(
        request,
        title=f"{oidc.provider_name()} cannot be reached",
        detail="The sign-in service did not answer. Nothing was changed; try again in a minute, "
        "and tell your administrator if it stays down.",
        status=503,
    )


class _Start(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc.oidc_setting)


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Off to the provider (PKCE challenge, state and nonce kept in the session); `next` is
    where the person lands afterwards."""
    if not oidc.enabled():
        raise Http404("No identity provider is configured")
    try:
        oidc.provider_config()
    except oidc.ProviderUnavailable:
        return _unavailable(request)
    return _Start.as_view()(request)


class _Callback(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc.oidc_setting)

    def login_failure(self):
        error = self.request.GET.get("error", "")
        if error:
            description = self.request.GET.get("error_description", "")
            return failure(
                self.request,
                title="The sign-in was not completed",
                detail=f"{oidc.provider_name()} answered: {description or error}.",
                status=403,
            )
        return failure(
            self.request,
            title="The sign-in was not completed",
            detail="This sign-in could not be finished (it may have been used already, or "
            "started in another browser). Start again from the sign-in page.",
            status=400,
        )


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404("No identity provider is configured")
    try:
        config = oidc.provider_config()
        # RFC 9207: an answer that names another issuer is a mix-up, whatever else it holds.
        iss = request.GET.get("iss")
        if iss is not None and iss.rstrip("/") != config["issuer"].rstrip("/"):
            raise SuspiciousOperation(f"callback from issuer {iss!r}")
        return _Callback.as_view()(request)
    except oidc.ProviderUnavailable:
        return _unavailable(request)
    except SuspiciousOperation as exc:
        log.warning("provider sign-in refused: %s", exc)
        return failure(
            request,
            title="The sign-in was refused",
            detail="The answer from the sign-in service could not be trusted (it did not match "
            "the sign-in this browser started, or its token failed its checks). Nobody was "
            "signed in. Start again from the sign-in page.",
            status=400,
        )
    except requests.RequestException as exc:
        log.warning("provider sign-in failed talking to the provider: %s", exc)
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status is not None and 400 <= status < 500:
            # The provider refused the code: used twice, expired, or not this client's.
            return failure(
                request,
                title="The sign-in was refused",
                detail=f"{oidc.provider_name()} did not accept this sign-in (it may have been "
                "used already). Nobody was signed in. Start again from the sign-in page.",
                status=400,
            )
        return _unavailable(request)


def end_session_url(request: HttpRequest, id_token: str) -> str | None:
    """Where to send the browser so the provider ends its session too (RP-initiated logout),
    when it offers it; None to stay here."""
    if not (id_token and oidc.enabled() and settings.STUDIO_OIDC_END_SESSION):
        return None
    try:
        endpoint = oidc.provider_config().get("end_session_endpoint")
    except oidc.ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.STUDIO_OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(settings.LOGIN_URL),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
