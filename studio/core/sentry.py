"""Error reports to Sentry (SENTRY_DSN), with secrets scrubbed from every event before it
leaves: the provider key, the metrics token, the secret key, API tokens (`studio_pat_…`),
webhook secrets (`whsec_…`), bearer credentials, cookies and session ids. Sentry's default
(no personal data) already leaves out the person's name, e-mail and address."""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

SCRUBBED = "[scrubbed]"
# What a token looks like wherever it appears (a message, a local variable, a header).
_PATTERNS = [
    re.compile(r"studio_pat_[A-Za-z0-9_\-]+"),
    re.compile(r"whsec_[A-Za-z0-9+/=_\-]+"),
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
]
_SECRET_KEYS = re.compile(
    r"(?i)(authorization|cookie|api[_-]?key|token|secret|password|sessionid|csrf|dsn)"
)


class Scrubber:
    def __init__(self, secrets: list[str]) -> None:
        # Only values long enough to be a secret: an empty or tiny one would match anywhere.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, SCRUBBED)
        for pattern in _PATTERNS:
            value = pattern.sub(
                lambda m: (m.group(1) if m.re.groups else "") + SCRUBBED,
                value,
            )
        return value

    def __call__(self, value: Any, key: str = "") -> Any:
        if key and _SECRET_KEYS.search(key) and isinstance(value, str | bytes):
            return SCRUBBED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            # Headers come as [name, value] pairs.
            if len(value) == 2 and isinstance(value[0], str) and _SECRET_KEYS.search(value[0]):
                return [value[0], SCRUBBED]
            return [self(v) for v in value]
        return value


def before_send_for(secrets: list[str]):
    scrub = Scrubber(secrets)

    def before_send(event: dict, hint: dict) -> dict:
        return scrub(event)

    return before_send


def init(dsn: str, *, secrets: list[str], **options: Any) -> None:
    """Start reporting errors to `dsn` (called from settings when SENTRY_DSN is set)."""
    before_send = before_send_for(secrets)
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        before_send=before_send,
        before_send_transaction=before_send,
        traces_sample_rate=0.0,
        **options,
    )
