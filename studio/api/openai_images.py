"""OpenAI's Images API shape: `POST /api/v1/images/generations`, `POST /api/v1/images/edits`
(multipart) and `GET /api/v1/models`, so the official `openai` SDK and chat front ends (Open
WebUI, LibreChat) work with `base_url=<studio>/api/v1` and a studio token.

These answer only once every image is final. The wait is an async view that sleeps between
small queries: under an ASGI server (gunicorn with uvicorn workers, see the Dockerfile) a
waiting request holds no worker thread, only a coroutine. Past API_WAIT_SECONDS the answer
is 504 `timeout` with `x-should-retry: false`, and the jobs go on to the gallery as usual.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile as NinjaFile

from studio.core.media import IMAGE_TYPES
from studio.generations.api_object import signed_output_path
from studio.generations.models import FINAL, Generation, State, nearest_ratio
from studio.upstream import facts

from . import idempotency
from .luma import base_url
from .schemas import ImagesIn, ImagesOut, ModelsOut, OpenAIErrorOut
from .submit import Image, Refused, submit

router = Router(tags=["images (OpenAI shape)"])

ERRORS = {s: OpenAIErrorOut for s in (400, 401, 403, 409, 413, 429, 504)}
SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")


def _aspect_ratio(size: str | None) -> str | None:
    if size is None or size.strip().lower() == "auto":
        return None
    match = SIZE.match(size)
    if not match or not int(match[1]) or not int(match[2]):
        msg = "give WIDTHxHEIGHT (e.g. 1536x1024) or auto"
        raise Refused("invalid", f"size: {msg}.", errors=[("size", msg)])
    return nearest_ratio(int(match[1]), int(match[2]))


def _params(body: ImagesIn, type_: str) -> dict:
    return {
        "prompt": body.prompt,
        "type": type_,
        "model": body.model or "uni-1",
        "aspect_ratio": _aspect_ratio(body.size),
        "output_format": body.output_format,
    }


@router.post(
    "/images/generations",
    response={200: ImagesOut, **ERRORS},
    exclude_none=True,
    summary="Create images (OpenAI shape)",
)
async def images_generations(request: HttpRequest, body: ImagesIn):
    """Makes `n` images (a batch) and answers once all are final: `b64_json` by default,
    `url` (a signed studio URL) on request. A failed one answers 400 with its failure code
    as `code`. Send an `Idempotency-Key` header: the SDK retries without one."""
    return await _answer(
        request,
        body,
        lambda: submit(
            token=request.auth,
            params=_params(body, "image"),
            count=1 if body.n is None else body.n,
            end_user=body.user or "",
        ),
    )


@router.post(
    "/images/edits",
    response={200: ImagesOut, **ERRORS},
    exclude_none=True,
    summary="Edit an image (OpenAI shape, multipart)",
)
async def images_edits(
    request: HttpRequest,
    body: Form[ImagesIn],
    image: File[list[NinjaFile]] = None,  # type: ignore[assignment]
):
    """Multipart: `image` (or `image[]`, several): the first is the image to edit, the rest
    references; the other fields as for generations (`mask` is accepted and ignored)."""
    files = _edit_files(request)
    if not files:
        msg = "send the image to edit as the multipart file field image (or image[])"
        raise Refused("invalid", f"image: {msg}.", errors=[("image", msg)])
    if len(files) > facts.MAX_REFS["image_edit"] + 1:
        msg = f"at most {facts.MAX_REFS['image_edit'] + 1} images (the source and 8 references)"
        raise Refused("invalid", f"image: {msg}.", errors=[("image", msg)])
    images = [await sync_to_async(_image)(f) for f in files]
    fingerprint_body = {
        **body.dict(),
        "images": [i.name + str(len(i.content or b"")) for i in images],
    }

    def make() -> list[Generation]:
        try:
            return submit(
                token=request.auth,
                params=_params(body, "image_edit"),
                source=images[0],
                refs=images[1:],
                count=1 if body.n is None else body.n,
                end_user=body.user or "",
            )
        except Refused as refused:
            # The source and the references all came as `image` here.
            refused.errors = [
                ("image" if f in ("source", "image_ref") else f, m) for f, m in refused.errors
            ]
            raise

    return await _answer(request, body, make, fingerprint_body=fingerprint_body)


@router.get("/models", response={200: ModelsOut, 401: OpenAIErrorOut}, summary="List models")
def models(request: HttpRequest):
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "luma"} for m in facts.MODELS
        ],
    }


def _edit_files(request: HttpRequest) -> list[UploadedFile]:
    return [*request.FILES.getlist("image"), *request.FILES.getlist("image[]")]


def _image(upload: UploadedFile) -> Image:
    content = upload.read(settings.API_MAX_BODY_BYTES)
    media_type = upload.content_type or ""
    if media_type not in IMAGE_TYPES:
        media_type = "application/octet-stream"  # the form reads the real type from the bytes
    return Image(content=content, media_type=media_type, name=upload.name or "image")


async def _answer(request: HttpRequest, body: ImagesIn, make, *, fingerprint_body=None):
    slot = await sync_to_async(idempotency.claim)(
        request, request.path, fingerprint_body or body.dict()
    )
    if slot.replay is not None:
        ids = slot.replay["ids"]
    else:
        try:
            gens = await sync_to_async(make)()
        except BaseException:
            await sync_to_async(idempotency.release)(slot)
            raise
        ids = [g.pk for g in gens]
        await sync_to_async(idempotency.finish)(slot, {"ids": ids})
    gens = await _wait(ids)
    return Status(*await sync_to_async(_images)(request, gens, body))


async def _wait(ids: list[int]) -> list[Generation]:
    deadline = time.monotonic() + settings.API_WAIT_SECONDS
    while True:
        if not await sync_to_async(_unfinished)(ids):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refused(
                "timeout",
                f"The images were not ready within {settings.API_WAIT_SECONDS:g} s. They are "
                "still being made and will appear in your gallery; do not send the request "
                "again (that would make new ones).",
            )
        await asyncio.sleep(min(settings.API_WAIT_POLL_SECONDS, left))
    rows = Generation.objects.filter(pk__in=ids).prefetch_related("outputs")
    by_id = {g.pk: g async for g in rows}
    return [by_id[i] for i in ids if i in by_id]


def _unfinished(ids: list[int]) -> int:
    """How many of `ids` are not final yet. The connection is given back at once (to the web
    process's pool, see DATABASES in the settings): a request that waits minutes holding one
    would leave the pool's few to everyone else (a test's transaction keeps its own)."""
    try:
        return Generation.objects.filter(pk__in=ids).exclude(state__in=FINAL).count()
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _images(request: HttpRequest, gens: list[Generation], body: ImagesIn) -> tuple[int, dict]:
    failed = next((g for g in gens if g.state == State.FAILED), None)
    if failed is not None:
        raise Refused(
            "generation_failed",
            failed.failure_reason or f"The generation failed ({failed.failure_code}).",
            code=failed.failure_code or "generation_failed",
        )
    data = []
    base = base_url(request)
    for gen in gens:
        for out in gen.outputs.all():
            item = {"revised_prompt": gen.prompt}
            if body.response_format == "url":
                item["url"] = base + signed_output_path(gen, out.position)
            else:
                with out.file.open("rb") as fh:
                    item["b64_json"] = base64.b64encode(fh.read()).decode("ascii")
            data.append(item)
    created = min((int(g.created_at.timestamp()) for g in gens), default=int(time.time()))
    return 200, {"created": created, "data": data}
