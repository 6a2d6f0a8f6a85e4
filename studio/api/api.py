"""The JSON API at /api/v1: one NinjaAPI, one auth, both endpoint families, one OpenAPI
description (/api/v1/openapi.json) and its docs page (/api/v1/docs, Swagger UI from
django-ninja's own static files: no CDN, and no inline script, so the CSP stays strict)."""

from __future__ import annotations

import json
import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from . import errors, luma, openai_images, webhooks
from .auth import TokenAuth
from .submit import Refused

log = logging.getLogger("studio.api")


class LocalSwagger(Swagger):
    """Swagger UI from ninja's own static files. ninja chooses them only when the string
    "ninja" is in INSTALLED_APPS, and a CDN otherwise; its folder is there under another
    name (ninja_assets.py), so the page is rendered here from the local template."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api}
        return render(request, self.template, context)


api = NinjaAPI(
    title="Studio API",
    version="1",
    description=(
        "Image generation through the studio, with its rules: every image is attributed to "
        "the token's person, budgeted, reviewed and kept in the gallery. Two shapes: the "
        "provider's own (`/generations`, for the `luma-agents` SDK) and OpenAI's Images API "
        "(`/images/generations`, `/images/edits`, `/models`, for the `openai` SDK and chat "
        "front ends). Authenticate with `Authorization: Bearer studio_pat_…` (made at "
        "/settings/tokens/). Send an `Idempotency-Key` header on POSTs: both SDKs retry a "
        "POST after a timeout or a 5xx, without a key of their own."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=LocalSwagger(),
)
api.add_router("", luma.router)
api.add_router("", openai_images.router)
api.add_router("", webhooks.router)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return errors.refusal(request, exc)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return errors.plain(
        request,
        "unauthorized",
        "Missing, unknown, expired or revoked token: send Authorization: Bearer studio_pat_… "
        "(make one at /settings/tokens/).",
    )


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    pairs = []
    for error in exc.errors:
        loc = [
            str(p)
            for p in error.get("loc", ())
            if p not in ("body", "query", "path", "form", "file")
        ]
        # ninja names the schema parameter first ("body", "query"): the field follows it.
        field = ".".join(loc[1:] if len(loc) > 1 else loc) or "body"
        pairs.append((field, str(error.get("msg", "invalid value"))))
    summary = "; ".join(f"{f}: {m}" for f, m in pairs) or "The request body could not be read."
    return errors.refusal(request, Refused("invalid", summary, errors=pairs))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return errors.plain(request, "not_found", "Not found.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if errors.is_openai(request):
        return errors.openai_error(exc.status_code, str(exc))
    return errors.luma_error(exc.status_code, str(exc))
