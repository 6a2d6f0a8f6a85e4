"""Errors in each endpoint family's own shape: the provider's `{"detail": …}` for the Luma
shape, OpenAI's `{"error": {message, type, param, code}}` for the OpenAI shape (the SDKs and
chat front ends read these fields), and one mapping from a refused submission to each."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from .submit import Refused

PREFIX = "/api/v1/"
OPENAI_PATHS = ("images/", "models")

# reason -> (Luma status, OpenAI status, OpenAI type, OpenAI code)
REFUSALS = {
    "forbidden": (403, 403, "permission_error", "token_team_lapsed"),
    "suspended": (403, 403, "permission_error", "account_suspended"),
    "invalid": (422, 400, "invalid_request_error", "invalid_value"),
    "rate_limited": (429, 429, "rate_limit_error", "rate_limit_exceeded"),
    "over_budget": (402, 429, "insufficient_quota", "insufficient_quota"),
    "idempotency_key_reused": (409, 400, "invalid_request_error", "idempotency_key_reused"),
    "too_large": (413, 413, "invalid_request_error", "request_too_large"),
    "unauthorized": (401, 401, "invalid_request_error", "invalid_api_key"),
    "not_found": (404, 404, "invalid_request_error", "not_found"),
    "timeout": (504, 504, "server_error", "timeout"),
    "generation_failed": (400, 400, "invalid_request_error", "generation_failed"),
}


def is_openai(request: HttpRequest) -> bool:
    return request.path.removeprefix(PREFIX).startswith(OPENAI_PATHS)


def openai_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> JsonResponse:
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return JsonResponse(body, status=status)


def luma_error(status: int, detail: Any) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def field_errors(errors: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """(field, message) pairs as the provider's (and FastAPI's) validation error list."""
    return [{"loc": ["body", *f.split(".")], "msg": m, "type": "value_error"} for f, m in errors]


def refusal(request: HttpRequest, refused: Refused) -> JsonResponse:
    luma_status, openai_status, kind, code = REFUSALS[refused.reason]
    code = refused.code or code
    if is_openai(request):
        param = refused.errors[0][0] if refused.errors else None
        response = openai_error(openai_status, refused.message, type=kind, param=param, code=code)
        if refused.reason in ("over_budget", "timeout", "idempotency_key_reused", "forbidden"):
            # The OpenAI SDK retries a 429 or 5xx unless told this: waiting will not help.
            response["x-should-retry"] = "false"
    elif refused.reason == "invalid" and refused.errors:
        response = luma_error(luma_status, field_errors(refused.errors))
    else:
        response = luma_error(luma_status, refused.message)
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response


def plain(request: HttpRequest, reason: str, message: str) -> JsonResponse:
    """An error with no field, in the shape of the request's endpoint family."""
    return refusal(request, Refused(reason, message))
