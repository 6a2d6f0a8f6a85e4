"""The Luma Agents API client: the only code that speaks HTTP to the provider."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from . import facts, metrics
from .errors import DownloadError, UnknownOutcome, UpstreamError

log = logging.getLogger("studio.upstream")

SIMULATOR_KEY = "simulator-no-key-needed"
# How much of a download is kept in memory before its temporary file goes to the disk.
SPOOL_BYTES = 1024 * 1024
# Small enough that the deadline and a stop are noticed while a slow CDN trickles.
DOWNLOAD_CHUNK_BYTES = 64 * 1024


def new_request_id() -> str:
    return f"studio-{uuid.uuid4()}"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the provider (safe to resend)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError | ConnectTimeoutError | NameResolutionError)
    return False


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[
            :500
        ] or f"HTTP {response.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        # FastAPI-style validation errors: keep the location and the message of each.
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', '')}".strip(": "))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if detail:
        return str(detail)
    return f"HTTP {response.status_code}"


class LumaClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = (base_url or settings.LUMA_BASE_URL).rstrip("/")
        self.api_key = settings.LUMA_AGENTS_API_KEY if api_key is None else api_key
        if not self.api_key and settings.SIMULATOR_ENABLED:
            # The simulator wants a bearer key like the provider does; any value is accepted.
            self.api_key = SIMULATOR_KEY
        self.session = session or requests.Session()
        self.timeout = (settings.UPSTREAM_CONNECT_TIMEOUT, settings.UPSTREAM_READ_TIMEOUT)
        if settings.UPSTREAM_SESSION_SETUP:
            # A hook, so the client knows nothing of what it mounts (the settings name the
            # simulator's in-process transport while no key is set).
            import_string(settings.UPSTREAM_SESSION_SETUP)(self.session, self.base_url)

    # -- API -------------------------------------------------------------------------
    def create_generation(self, body: dict[str, Any], *, request_id: str) -> dict[str, Any]:
        return self._call("POST", "/generations", json=body, request_id=request_id)

    def get_generation(self, generation_id: str, *, request_id: str) -> dict[str, Any]:
        return self._call(
            "GET",
            f"/generations/{generation_id}",
            request_id=request_id,
            timeout=(settings.UPSTREAM_CONNECT_TIMEOUT, settings.UPSTREAM_POLL_READ_TIMEOUT),
        )

    def download(
        self, url: str, *, max_bytes: int | None = None, cancel: threading.Event | None = None
    ) -> IO[bytes]:
        """Stream an output into a temporary file, refusing more than `max_bytes`.

        The whole transfer has a deadline (UPSTREAM_DOWNLOAD_DEADLINE_SECONDS: a trickling
        CDN must not hold a download thread, nor a worker's shutdown, for ever), and stops
        at the next chunk once `cancel` is set; both raise a retryable DownloadError.
        """
        cap = max_bytes or settings.UPSTREAM_DOWNLOAD_MAX_BYTES
        started = time.monotonic()
        deadline = started + settings.UPSTREAM_DOWNLOAD_DEADLINE_SECONDS
        # Presigned URLs carry their own auth: never send our key to the storage host.
        try:
            response = self.session.get(url, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            metrics.DOWNLOADS.labels(outcome="broken").inc()
            raise DownloadError(None, f"could not fetch the output: {exc}", retryable=True) from exc
        with response:
            log.info(
                "upstream GET %s -> %s in %.0f ms",
                urlsplit(url).path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if response.status_code != 200:
                metrics.DOWNLOADS.labels(outcome="http_error").inc()
                raise DownloadError(
                    response.status_code,
                    f"the output URL answered HTTP {response.status_code}",
                    retryable=response.status_code in facts.RETRYABLE_STATUSES,
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > cap:
                metrics.DOWNLOADS.labels(outcome="too_large").inc()
                raise DownloadError(
                    200, f"output is {declared} bytes, over the {cap} limit", retryable=False
                )
            # Past the first MB onto the disk: several 5-13 MB downloads at once must not
            # each sit in the worker's memory (docs/benchmarks.md, worker memory).
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
            size = 0
            try:
                for chunk in response.iter_content(chunk_size=DOWNLOAD_CHUNK_BYTES):
                    if cancel is not None and cancel.is_set():
                        raise DownloadError(None, "the download was stopped", retryable=True)
                    if time.monotonic() > deadline:
                        raise DownloadError(
                            None,
                            "the download took longer than "
                            f"{settings.UPSTREAM_DOWNLOAD_DEADLINE_SECONDS:.0f} s",
                            retryable=True,
                        )
                    size += len(chunk)
                    if size > cap:
                        raise DownloadError(
                            200, f"output is over the {cap} byte limit", retryable=False
                        )
                    spool.write(chunk)
            except requests.RequestException as exc:
                spool.close()
                metrics.DOWNLOADS.labels(outcome="broken").inc()
                raise DownloadError(None, f"the download broke off: {exc}", retryable=True) from exc
            except DownloadError:
                spool.close()
                metrics.DOWNLOADS.labels(outcome="too_large").inc()
                raise
        metrics.DOWNLOADS.labels(outcome="ok").inc()
        metrics.DOWNLOAD_BYTES.inc(size)
        spool.seek(0)
        return spool

    # -- plumbing --------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        request_id: str,
        json: Any = None,
        timeout: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        headers = {"X-Request-Id": request_id, "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                json=json,
                headers=headers,
                timeout=timeout or self.timeout,
            )
        except requests.RequestException as exc:
            metrics.answered(method, None, time.monotonic() - started)
            if _never_sent(exc):
                log.warning(
                    "upstream %s %s -> no connection (%s) request_id=%s",
                    method,
                    path,
                    exc.__class__.__name__,
                    request_id,
                )
                raise UpstreamError(
                    None,
                    f"could not connect to the provider ({exc.__class__.__name__})",
                    retryable=True,
                    request_id=request_id,
                ) from exc
            # Sent, but no answer: for a POST the job may exist upstream.
            log.warning(
                "upstream %s %s -> %s request_id=%s",
                method,
                path,
                exc.__class__.__name__,
                request_id,
            )
            raise UnknownOutcome(
                None,
                f"the provider did not answer ({exc.__class__.__name__})",
                retryable=method == "GET",
                request_id=request_id,
            ) from exc
        elapsed = (time.monotonic() - started) * 1000
        metrics.answered(method, response.status_code, elapsed / 1000)
        seen_id = response.headers.get("X-Request-Id", request_id)
        log.info(
            "upstream %s %s -> %s in %.0f ms request_id=%s",
            method,
            path,
            response.status_code,
            elapsed,
            seen_id,
            extra={
                "upstream_method": method,
                "upstream_status": response.status_code,
                "upstream_request_id": seen_id,
                "duration_ms": round(elapsed, 1),
            },
        )
        if response.status_code >= 400:
            raise UpstreamError(
                response.status_code,
                _detail(response),
                retryable=response.status_code in facts.RETRYABLE_STATUSES,
                retry_after=_retry_after(response),
                request_id=seen_id,
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise UpstreamError(
                response.status_code,
                "the provider answered with invalid JSON",
                retryable=True,
                request_id=seen_id,
            ) from exc
        if not isinstance(data, dict):
            raise UpstreamError(
                response.status_code,
                "the provider answered with an unexpected body",
                retryable=True,
                request_id=seen_id,
            )
        return data


_default: LumaClient | None = None


def get_client() -> LumaClient:
    """One client (one Session, one connection pool) per process."""
    global _default
    if _default is None:
        _default = LumaClient()
    return _default


def reset_client() -> None:
    global _default
    _default = None
