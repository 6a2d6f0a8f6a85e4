"""The simulator's HTTP plumbing: what every endpoint does like the provider (a bearer key,
JSON errors, X-Request-Id, a body limit) and where it is served at all."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from studio.upstream import facts

from .wsgi_adapter import IN_PROCESS

# Room for every image a request may carry at the inline limit (base64 is 4/3 larger),
# because Django's DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB) would refuse lawful requests.
MAX_BODY_BYTES = (facts.MAX_REFS["image"] + 1) * facts.INLINE_MAX_BYTES * 4 // 3 + 1024 * 1024


class ApiError(Exception):
    """Ends a request with an upstream-style JSON error."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def served_to(request: HttpRequest) -> bool:
    """Over HTTP only while DEBUG is on: the simulator has no accounts and writes rows and
    files for anyone who knows its paths. The worker reaches it in-process either way."""
    return settings.DEBUG or bool(request.META.get(IN_PROCESS))


def api_view(*methods: str) -> Callable:
    """CSRF-exempt (like the API it imitates: a bearer key, no cookies, so there is no
    session to ride), served only where served_to() allows, method check (none given:
    any), ApiError -> JSON, and X-Request-Id on every answer."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not served_to(request):
                raise Http404("No simulator here")
            if methods and request.method not in methods:
                response: HttpResponse = error(405, "Method Not Allowed")
                response["Allow"] = ", ".join(methods)
            else:
                try:
                    response = view(request, *args, **kwargs)
                except ApiError as exc:
                    response = error(exc.status, exc.detail, exc.headers)
            response["X-Request-Id"] = request_id(request)
            return response

        return wrapper

    return decorator


def request_id(request: HttpRequest) -> str:
    sent = request.headers.get("X-Request-Id", "").strip()
    # Echo what the client sent (that is how support correlates calls), within reason.
    if sent and len(sent) <= 200 and sent.isprintable():
        return sent
    return f"req_{uuid.uuid4().hex}"


def require_key(request: HttpRequest) -> None:
    """Like the provider: no bearer key, no answer. Any key will do here."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "Missing or invalid API key: send 'Authorization: Bearer <key>'")


def read_json(request: HttpRequest) -> dict[str, Any]:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise ApiError(413, "Request body too large")
    # request.read(), not request.body: the latter enforces DATA_UPLOAD_MAX_MEMORY_SIZE.
    raw = request.read()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return body
