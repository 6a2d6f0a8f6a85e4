"""Answering a stored file once a view has checked who may see it.

There is no public media URL: every file view asks the access module first, then calls
`file_response`. On S3 the answer is a redirect to a short-lived presigned URL (the bytes
never pass through the web process); on the disk the file is streamed, or handed to nginx
with `X-Accel-Redirect` when `STUDIO_X_ACCEL_REDIRECT` names its internal location.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

log = logging.getLogger("studio.files")


def file_response(
    field_file: File,
    *,
    content_type: str,
    max_age: int,
    filename: str | None = None,
    as_attachment: bool = False,
) -> HttpResponse:
    """The response for a stored file the caller has already checked access to.

    `max_age` is how long a browser may keep the answer; for a presigned redirect it is
    cut to `FILE_CACHE_SECONDS`, shorter than the URL's own lifetime.
    """
    name = field_file.name
    disposition = content_disposition_header(as_attachment, filename) if filename else None
    if settings.S3_BUCKET:
        parameters = {"ResponseContentType": content_type}
        if disposition:
            parameters["ResponseContentDisposition"] = disposition
        url = _signer(settings.S3_PUBLIC_URL).url(
            name, parameters=parameters, expire=settings.S3_PRESIGN_SECONDS
        )
        response: HttpResponse = HttpResponseRedirect(url)
        max_age = min(max_age, settings.FILE_CACHE_SECONDS)
    elif settings.X_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{settings.X_ACCEL_REDIRECT}/{quote(name)}"
        if disposition:
            response["Content-Disposition"] = disposition
    else:
        response = FileResponse(
            field_file.open("rb"),
            content_type=content_type,
            as_attachment=as_attachment,
            filename=filename or "",
        )
    response["Cache-Control"] = f"private, max-age={max_age}"
    # An image opened on its own is drawn by the browser's image viewer, which styles the
    # page inline: the pages' policy (no inline style) made it log violations and show the
    # image unfitted. A file runs nothing, so it gets a policy of its own: no script at all.
    response._csp_exempt = True  # type: ignore[attr-defined]
    response["Content-Security-Policy"] = FILE_POLICY
    return response


FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _signer(public_url: str):
    """The storage that signs URLs for where browsers reach the bucket: the default one,
    or a twin with the public endpoint (signing is local: it needs no route to that host)."""
    from django.core.files.storage import default_storage

    if not public_url or public_url == settings.S3_ENDPOINT_URL:
        return default_storage
    return _public_twin(public_url, settings.S3_BUCKET)


@lru_cache(maxsize=4)
def _public_twin(public_url: str, bucket: str):
    from storages.backends.s3 import S3Storage

    options = {**settings.STORAGES["default"].get("OPTIONS", {}), "endpoint_url": public_url}
    return S3Storage(**options)


def delete_files(names: Iterable[str]) -> None:
    """Remove stored files by name, through the storage API (the disk or the bucket alike);
    one that cannot be removed is logged, not raised: the row it belonged to is gone."""
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except Exception:  # OSError on the disk, botocore's errors on S3
                log.warning("could not delete %s", name, exc_info=True)
