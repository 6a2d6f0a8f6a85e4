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

import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.crypto import constant_time_compare

from . import render
from .models import SimulatedJob
from .plumbing import ApiError, api_view, read_json, require_key
from .timeline import generation_object, output_bytes, output_name, sign, state_of
from .triggers import MISSING_OUTPUT, fire_http_triggers, job_outcome, once, triggers_in
from .validation import validate


@api_view("POST")
def create_generation(request: HttpRequest) -> HttpResponse:
    require_key(request)
    body = read_json(request)
    fields, source_bytes = validate(body)
    fire_http_triggers(fields["prompt"], fields["user_id"])
    if "slow_post" in triggers_in(fields["prompt"]) and once("slow_post", fields["prompt"]):
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)

    job = SimulatedJob(**fields, forced_outcome=job_outcome(fields["prompt"]))
    if source_bytes is not None:
        # Keep the source so the edit can be drawn on it when the output is first fetched.
        job.source_file = default_storage.save(
            f"simulator/{job.id}/source", ContentFile(source_bytes)
        )
    job.save()
    # Upstream answers the POST with the job as submitted, whatever the timeline.
    return JsonResponse(generation_object(request, job, state="queued"), status=201)


@api_view("GET")
def get_generation(request: HttpRequest, job_id: str) -> HttpResponse:
    require_key(request)
    job = SimulatedJob.objects.filter(pk=job_id).first()
    if job is None:
        raise ApiError(404, "Generation not found")
    triggers = triggers_in(job.prompt)
    if "slow_get" in triggers and once("slow_get", job.id):
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)
    if "bad_json" in triggers and once("bad_json", job.id):
        return HttpResponse('{"id": "' + job.id + '", "state": ', content_type="application/json")
    if "unknown_state" in triggers and once("unknown_state", job.id):
        return JsonResponse(generation_object(request, job, state="rendering"))
    return JsonResponse(generation_object(request, job, state=state_of(job)))


@api_view("GET", "HEAD")
def download_output(request: HttpRequest, job_id: str, filename: str) -> HttpResponse:
    """A presigned output URL: answers like S3 (XML errors), checks expiry and signature."""
    expires = request.GET.get("expires", "")
    signature = request.GET.get("signature", "")
    if not expires.isdigit() or not constant_time_compare(
        signature, sign(request.path, int(expires))
    ):
        return _s3_error(403, "AccessDenied", "Request signature does not match")
    if time.time() >= int(expires):
        return _s3_error(403, "AccessDenied", "Request has expired")

    job = SimulatedJob.objects.filter(pk=job_id).first()
    if (
        job is None
        or state_of(job) != "completed"
        or job.forced_outcome == MISSING_OUTPUT
        or filename != output_name(job)
    ):
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")

    triggers = triggers_in(job.prompt)
    if "not_image" in triggers:
        return HttpResponse(b"<html>not an image</html>", content_type="image/png")
    data = output_bytes(job)
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


def _s3_error(status: int, code: str, message: str) -> HttpResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return HttpResponse(body, status=status, content_type="application/xml")
