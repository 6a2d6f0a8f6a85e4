"""One HTTP POST of a signed delivery: to the address the guard checked, a total time limit,
no redirects followed, and only the start of the answer read."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime

import certifi
import urllib3
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from . import guard

USER_AGENT = "Studio-Webhooks/1"


@dataclass
class Result:
    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signed_headers(message_id: str, when: datetime, body: str, secrets: list[str]) -> dict:
    """Standard Webhooks v1 headers; several secrets (during a rotation) sign side by side."""
    signature = " ".join(Webhook(s).sign(message_id, when, body) for s in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _pool(target: guard.Target, timeout: float) -> urllib3.HTTPConnectionPool:
    kwargs = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False}
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **kwargs,
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, **kwargs)


def _excerpt(raw: bytes) -> str:
    return raw[: settings.WEBHOOK_EXCERPT_CHARS].decode("utf-8", "replace")


def post(url: str, headers: dict, body: str) -> Result:
    """POST `body` to `url`. Never raises for what the receiver or the network does."""
    started = time.monotonic()
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = guard.resolve(url)
    except guard.Refused as exc:
        return Result(None, elapsed(), error=f"refused: {exc}")
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default_port else f"{host}:{target.port}"
    pool = _pool(target, timeout)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body.encode(),
            headers={**headers, "host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            # Read at most the cap, and stop at the deadline even when the answer trickles.
            raw = b""
            cap = int(settings.WEBHOOK_READ_CAP_BYTES)
            while len(raw) < cap and time.monotonic() - started < timeout:
                chunk = response.read(min(8192, cap - len(raw)))
                if not chunk:
                    break
                raw += chunk
        finally:
            response.release_conn()
    except urllib3.exceptions.TimeoutError:
        return Result(None, elapsed(), error=f"no answer within {timeout:g} s")
    except urllib3.exceptions.HTTPError as exc:
        return Result(None, elapsed(), error=f"could not connect: {_reason(exc)}"[:300])
    except OSError as exc:
        return Result(None, elapsed(), error=f"could not connect: {exc}"[:300])
    finally:
        pool.close()
    result = Result(response.status, elapsed(), excerpt=_excerpt(raw))
    if 300 <= response.status < 400:
        location = response.headers.get("location", "")
        result.error = f"redirect to {location[:200]!r} not followed"
    return result


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return "timed out"
    return str(reason or exc)


def body_for(event: str, data: dict, when: datetime) -> str:
    """The Standard Webhooks body: `{"type", "timestamp", "data"}`."""
    return json.dumps(
        {"type": event, "timestamp": when.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
    )
