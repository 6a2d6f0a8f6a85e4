"""The built-in simulator of the Luma Agents API (mounted while no API key is set).

It speaks the upstream wire format (paths, JSON fields, status codes, `Retry-After`,
`X-Request-Id`, presigned output URLs that expire) so the studio, and the official SDKs,
cannot tell it from the real service. Failures are asked for in the prompt:

- `[simulate:<failure_code>]` (any of facts.UPSTREAM_FAILURE_CODES): the job ends `failed`
  with that code;
- `[simulate:missing_output]`: the job completes but its output URL answers 404;
- `[simulate:http_429]`, `http_502`, `http_503`: the POST answers that status once per
  (user_id, prompt), and the identical retry succeeds;
- `[simulate:http_400]`, `http_401`, `http_402`, `http_403`, `http_413`, `http_422`: the
  POST always answers that status;
- `[simulate:http_429x4]` (any once-status with `x<N>`): the POST answers it N times;

and, for the fault suite (tests/faults):
- `[simulate:seconds_<N>]`: the job takes N seconds instead of STUDIO_SIMULATOR_SECONDS;
- `[simulate:slow_post]`: the first POST waits SIMULATOR_SLOW_SECONDS before answering (the
  job is created all the same, as a provider would after a client's read timeout);
- `[simulate:slow_get]`, `bad_json`, `unknown_state`: the first GET of the job waits
  SIMULATOR_SLOW_SECONDS, answers malformed JSON, or names a state the API does not have;
- `[simulate:not_image]`: the output URL serves bytes that are not an image;
- `[simulate:trickle]`: the output arrives in small pieces over SIMULATOR_SLOW_SECONDS.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.csrf import csrf_exempt

from studio.upstream import facts

from . import render
from .models import SimulatedJob, SimulatorTrigger
from .wsgi_adapter import IN_PROCESS

# Statuses the POST answers once per (user_id, prompt): the retryable ones, so a client's
# retry is seen to succeed.
ONCE_HTTP_TRIGGERS: dict[int, str] = {
    429: "Rate limit exceeded: too many requests in the last 60 seconds",
    502: "Upstream service unavailable, please retry",
    503: "Image ingestion is temporarily unavailable, please retry",
}
# Statuses the POST always answers: retrying cannot help.
ALWAYS_HTTP_TRIGGERS: dict[int, str] = {
    400: "Invalid parameters: the request could not be processed",
    401: "Invalid or missing API key",
    402: "Insufficient credits: add credits to your account to continue",
    403: "Access denied: this API client is suspended",
    413: f"Input media too large: each image must be at most "
    f"{facts.INLINE_MAX_BYTES // (1024 * 1024)} MB",
    422: "Unprocessable media: image_ref[0] could not be decoded as an image",
}
MISSING_OUTPUT = "missing_output"

# What upstream says in `failure_reason` for each code: one realistic sentence per code.
FAILURE_REASONS: dict[str, str] = {
    "content_moderated": "The prompt was flagged by content moderation and cannot be processed.",
    "generation_failed": "The model encountered an internal error while generating the image.",
    "budget_exhausted": "The account ran out of credits before the generation finished.",
    "output_not_found": "The generated image could not be retrieved from storage.",
    "image_too_large": "An input image exceeds the maximum size of "
    f"{facts.INLINE_MAX_BYTES // (1024 * 1024)} MB.",
    "unsupported_format": "An input image is in an unsupported format; use JPEG, PNG or WebP.",
    "corrupt_input": "An input image could not be decoded.",
    "invalid_request": "The request was rejected during processing: the parameters are invalid.",
    "rate_limited": "Too many concurrent generations; the job was rejected during processing.",
}
assert set(FAILURE_REASONS) == set(facts.UPSTREAM_FAILURE_CODES), "one reason per failure code"

_TRIGGER = re.compile(r"\[simulate:([a-z0-9_.]+)\]", re.IGNORECASE)
_HTTP_TRIGGER = re.compile(r"http_(\d{3})(?:x(\d+))?$")
_SECONDS_TRIGGER = re.compile(r"seconds_(\d+(?:\.\d+)?)$")
# Room for every image a request may carry at the inline limit (base64 is 4/3 larger),
# because Django's DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB) would refuse lawful requests.
_MAX_BODY_BYTES = (facts.MAX_REFS["image"] + 1) * facts.INLINE_MAX_BYTES * 4 // 3 + 1024 * 1024
# The module's old path, kept: a new salt would void the output URLs already handed out.
_SIGNING_SALT = "studio.upstream.simulator.files"


class ApiError(Exception):
    """Ends a request with an upstream-style JSON error."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JsonResponse:
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
                response: HttpResponse = _error(405, "Method Not Allowed")
                response["Allow"] = ", ".join(methods)
            else:
                try:
                    response = view(request, *args, **kwargs)
                except ApiError as exc:
                    response = _error(exc.status, exc.detail, exc.headers)
            response["X-Request-Id"] = _request_id(request)
            return response

        return wrapper

    return decorator


def _request_id(request: HttpRequest) -> str:
    sent = request.headers.get("X-Request-Id", "").strip()
    # Echo what the client sent (that is how support correlates calls), within reason.
    if sent and len(sent) <= 200 and sent.isprintable():
        return sent
    return f"req_{uuid.uuid4().hex}"


def _require_key(request: HttpRequest) -> None:
    """Like the provider: no bearer key, no answer. Any key will do here."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "Missing or invalid API key: send 'Authorization: Bearer <key>'")


# -- views -------------------------------------------------------------------------------
@api_view("POST")
def create_generation(request: HttpRequest) -> HttpResponse:
    _require_key(request)
    body = _read_json(request)
    fields, source_bytes = _validate(body)
    _fire_http_triggers(fields["prompt"], fields["user_id"])
    if "slow_post" in _triggers(fields["prompt"]) and _once("slow_post", fields["prompt"]):
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)

    job = SimulatedJob(**fields, forced_outcome=_job_outcome(fields["prompt"]))
    if source_bytes is not None:
        # Keep the source so the edit can be drawn on it when the output is first fetched.
        job.source_file = default_storage.save(
            f"simulator/{job.id}/source", ContentFile(source_bytes)
        )
    job.save()
    # Upstream answers the POST with the job as submitted, whatever the timeline.
    return JsonResponse(_generation(request, job, state="queued"), status=201)


@api_view("GET")
def get_generation(request: HttpRequest, job_id: str) -> HttpResponse:
    _require_key(request)
    job = SimulatedJob.objects.filter(pk=job_id).first()
    if job is None:
        raise ApiError(404, "Generation not found")
    triggers = _triggers(job.prompt)
    if "slow_get" in triggers and _once("slow_get", job.id):
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)
    if "bad_json" in triggers and _once("bad_json", job.id):
        return HttpResponse('{"id": "' + job.id + '", "state": ', content_type="application/json")
    if "unknown_state" in triggers and _once("unknown_state", job.id):
        return JsonResponse(_generation(request, job, state="rendering"))
    return JsonResponse(_generation(request, job, state=_state(job)))


@api_view("GET", "HEAD")
def download_output(request: HttpRequest, job_id: str, filename: str) -> HttpResponse:
    """A presigned output URL: answers like S3 (XML errors), checks expiry and signature."""
    expires = request.GET.get("expires", "")
    signature = request.GET.get("signature", "")
    if not expires.isdigit() or not constant_time_compare(
        signature, _signature(request.path, int(expires))
    ):
        return _s3_error(403, "AccessDenied", "Request signature does not match")
    if time.time() >= int(expires):
        return _s3_error(403, "AccessDenied", "Request has expired")

    job = SimulatedJob.objects.filter(pk=job_id).first()
    if (
        job is None
        or _state(job) != "completed"
        or job.forced_outcome == MISSING_OUTPUT
        or filename != _output_name(job)
    ):
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")

    triggers = _triggers(job.prompt)
    if "not_image" in triggers:
        return HttpResponse(b"<html>not an image</html>", content_type="image/png")
    data = _output_bytes(job)
    if "trickle" in triggers and request.method == "GET":
        return _trickle(data, render.media_type(job.output_format))
    response = HttpResponse(
        b"" if request.method == "HEAD" else data,
        content_type=render.media_type(job.output_format),
    )
    response["Content-Length"] = str(len(data))
    return response


@api_view()
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Unknown paths under the base URL answer JSON, like the API, not Django's HTML 404."""
    raise ApiError(404, "Not Found")


# -- request parsing ---------------------------------------------------------------------
def _read_json(request: HttpRequest) -> dict[str, Any]:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > _MAX_BODY_BYTES:
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


def _validate(body: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """The fields of a SimulatedJob, and the decoded inline source (for an edit).

    400 for a wrong type or value, 422 for a rejected combination or bad media data, 413
    for media over the size limit (each inline image may be at most 50 MB decoded, as the
    provider documents). Unknown fields are ignored. The checks run in the order of the
    fields below, so the first problem found is the one reported.
    """
    fields: dict[str, Any] = {"prompt": _prompt(body.get("prompt"))}
    for name, allowed, default in [
        ("type", facts.TYPES, "image"),
        ("aspect_ratio", facts.ASPECT_RATIOS, "1:1"),
        ("style", facts.STYLES, "auto"),
        ("model", facts.MODELS, "uni-1"),
        ("output_format", facts.OUTPUT_FORMATS, "png"),
    ]:
        fields[name] = _choice(name, body.get(name), allowed, default)
    fields["web_search"] = _web_search(body.get("web_search"))
    fields["user_id"] = _user_id(body.get("user_id"))
    fields["image_ref"] = _image_refs(body.get("image_ref"), fields["type"])

    source = body.get("source")
    source_bytes = None
    if source is not None:
        fields["source"], source_bytes = _image("source", source)
    elif fields["type"] == "image_edit":
        raise ApiError(422, "source: required when type is image_edit")
    return fields, source_bytes


def _prompt(prompt: Any) -> str:
    if prompt is None:
        raise ApiError(400, "prompt: field required")
    if not isinstance(prompt, str):
        raise ApiError(400, "prompt: must be a string")
    if not 1 <= len(prompt) <= facts.PROMPT_MAX_CHARS:
        raise ApiError(
            400,
            f"prompt: must be 1 to {facts.PROMPT_MAX_CHARS} characters (got {len(prompt)})",
        )
    return prompt


def _choice(name: str, value: Any, allowed: list[str], default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise ApiError(400, f"{name}: must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _web_search(value: Any) -> bool:
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, "web_search: must be a boolean")
    return bool(value)


def _user_id(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "user_id: must be a string")
    if value is not None and len(value) > 200:
        raise ApiError(400, "user_id: must be at most 200 characters")
    return value or ""


def _image_refs(refs: Any, type_: str) -> list[dict[str, Any]]:
    """Descriptions of the reference images, within the array's limit and the type's."""
    if refs is None:
        refs = []
    if not isinstance(refs, list):
        raise ApiError(400, "image_ref: must be an array")
    if len(refs) > facts.MAX_REFS["image"]:
        raise ApiError(
            400, f"image_ref: at most {facts.MAX_REFS['image']} images (got {len(refs)})"
        )
    limit = facts.MAX_REFS[type_]
    if len(refs) > limit:
        # Within the array's own limit, but the edit's source takes one slot.
        raise ApiError(
            422,
            f"image_ref: at most {limit} images with type {type_} "
            f"(the source takes a slot; got {len(refs)})",
        )
    return [_image(f"image_ref[{i}]", item)[0] for i, item in enumerate(refs)]


def _image(where: str, item: Any) -> tuple[dict[str, Any], bytes | None]:
    """Validate one image object; return its description and decoded inline data."""
    if not isinstance(item, dict):
        raise ApiError(400, f"{where}: must be an object with url, or data and media_type")
    url, data, media_type = item.get("url"), item.get("data"), item.get("media_type")
    for name, value in [("url", url), ("data", data), ("media_type", media_type)]:
        if value is not None and not isinstance(value, str):
            raise ApiError(400, f"{where}.{name}: must be a string")
    if url and data:
        raise ApiError(422, f"{where}: provide either url or data, not both")
    if url:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ApiError(422, f"{where}.url: must be an http(s) URL")
        return {"url": url}, None
    decoded = _inline_data(where, data, media_type)
    return {"media_type": media_type, "bytes": len(decoded)}, decoded


def _inline_data(where: str, data: str | None, media_type: str | None) -> bytes:
    """The decoded bytes of an inline image: a known media type and at most 50 MB."""
    if not data:
        raise ApiError(422, f"{where}: provide either url or data with media_type")
    if not media_type:
        raise ApiError(422, f"{where}.media_type: required with data")
    if media_type not in facts.INLINE_MEDIA_TYPES:
        raise ApiError(
            422,
            f"{where}.media_type: must be one of {', '.join(facts.INLINE_MEDIA_TYPES)} "
            f"(got {media_type!r})",
        )
    compact = "".join(data.split())  # line breaks (MIME-style base64) are harmless
    # Check the size before decoding, so a huge payload costs no decode.
    padding = len(compact) - len(compact.rstrip("="))
    decoded_size = len(compact) // 4 * 3 - padding
    if decoded_size > facts.INLINE_MAX_BYTES:
        raise ApiError(
            413,
            f"{where}: image is {decoded_size} bytes, over the "
            f"{facts.INLINE_MAX_BYTES // (1024 * 1024)} MB limit",
        )
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"{where}.data: invalid base64 data") from None


def _trickle(data: bytes, content_type: str) -> StreamingHttpResponse:
    pieces = 20
    size = -(-len(data) // pieces)

    def chunks():
        for start in range(0, len(data), size):
            time.sleep(settings.SIMULATOR_SLOW_SECONDS / pieces)
            yield data[start : start + size]

    response = StreamingHttpResponse(chunks(), content_type=content_type)
    response["Content-Length"] = str(len(data))
    return response


# -- triggers ----------------------------------------------------------------------------
def _triggers(prompt: str) -> list[str]:
    return [name.lower() for name in _TRIGGER.findall(prompt)]


def _job_outcome(prompt: str) -> str:
    """The first failure code (or missing_output) asked for in the prompt, else ""."""
    for name in _triggers(prompt):
        if name in facts.UPSTREAM_FAILURE_CODES or name == MISSING_OUTPUT:
            return name
    return ""


def _fire_http_triggers(prompt: str, user_id: str) -> None:
    for name in _triggers(prompt):
        match = _HTTP_TRIGGER.match(name)
        if not match:
            continue
        status, times = int(match[1]), int(match[2] or 1)
        if status in ALWAYS_HTTP_TRIGGERS:
            raise ApiError(status, ALWAYS_HTTP_TRIGGERS[status])
        if status in ONCE_HTTP_TRIGGERS and any(
            # Each of the N answers has its own key: the first N identical POSTs fail.
            _first_time(status, user_id, prompt if n == 0 else f"{prompt}\0{n}")
            for n in range(times)
        ):
            headers = {"Retry-After": "1"} if status == 429 else {}
            raise ApiError(status, ONCE_HTTP_TRIGGERS[status], headers)


def _once(name: str, scope: str) -> bool:
    """True the first time for (name, scope): a fault that strikes once per job."""
    return _first_time(0, name, scope)


def _first_time(status: int, user_id: str, prompt: str) -> bool:
    key = hashlib.sha256(f"{status}\0{user_id}\0{prompt}".encode()).hexdigest()
    try:
        # The unique key decides, so two concurrent identical POSTs fire it only once.
        with transaction.atomic():
            SimulatorTrigger.objects.create(key=key, status=status)
    except IntegrityError:
        return False
    return True


# -- timeline and output -----------------------------------------------------------------
def _durations(job: SimulatedJob) -> tuple[timedelta, timedelta]:
    """(queued until, done at) after creation: `[simulate:seconds_N]` in the prompt, else
    the setting at request time."""
    total = float(settings.SIMULATOR_SECONDS)
    for name in _triggers(job.prompt):
        match = _SECONDS_TRIGGER.match(name)
        if match:
            total = float(match[1])
    total = max(0.0, total)
    return timedelta(seconds=total * 0.25), timedelta(seconds=total)


def _state(job: SimulatedJob) -> str:
    queued_for, done_after = _durations(job)
    elapsed = timezone.now() - job.created_at
    if elapsed >= done_after:
        is_failure = job.forced_outcome in facts.UPSTREAM_FAILURE_CODES
        return "failed" if is_failure else "completed"
    return "queued" if elapsed < queued_for else "processing"


def _generation(request: HttpRequest, job: SimulatedJob, *, state: str) -> dict[str, Any]:
    failed = state == "failed"
    output = []
    if state == "completed":
        output = [{"type": "image", "url": _output_url(request, job)}]
    return {
        "id": job.id,
        "created_at": job.created_at.isoformat(),
        "model": job.model,
        "state": state,
        "type": job.type,
        "failure_code": job.forced_outcome if failed else None,
        "failure_reason": FAILURE_REASONS[job.forced_outcome] if failed else None,
        "output": output,
    }


def _output_name(job: SimulatedJob) -> str:
    return f"0.{render.extension(job.output_format)}"


def _output_url(request: HttpRequest, job: SimulatedJob) -> str:
    """A presigned URL valid until SIMULATOR_URL_EXPIRY_SECONDS after completion."""
    path = reverse("simulator:file", args=[job.id, _output_name(job)])
    completed_at = job.created_at + _durations(job)[1]
    expires = int(completed_at.timestamp()) + int(settings.SIMULATOR_URL_EXPIRY_SECONDS)
    signature = _signature(path, expires)
    return request.build_absolute_uri(f"{path}?expires={expires}&signature={signature}")


def _signature(path: str, expires: int) -> str:
    return salted_hmac(_SIGNING_SALT, f"{path}?expires={expires}", algorithm="sha256").hexdigest()


def _output_bytes(job: SimulatedJob) -> bytes:
    """Render once, then serve from storage: a client may download an output many times."""
    name = f"simulator/{job.id}/{_output_name(job)}"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as cached:
            return cached.read()
    source = None
    if job.source_file and default_storage.exists(job.source_file):
        with default_storage.open(job.source_file, "rb") as stored:
            source = stored.read()
    data = render.render_image(
        prompt=job.prompt,
        aspect_ratio=job.aspect_ratio,
        style=job.style,
        output_format=job.output_format,
        source=source,
        job_id=str(job.id),
    )
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # a concurrent download cached it first; keep one copy
        default_storage.delete(saved)
    return data


def _s3_error(status: int, code: str, message: str) -> HttpResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return HttpResponse(body, status=status, content_type="application/xml")
