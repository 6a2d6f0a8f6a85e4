"""SENTRY_DSN: errors are reported with the provider key, tokens and secrets scrubbed."""

from __future__ import annotations

import sentry_sdk
from sentry_sdk.transport import Transport

from studio.core import sentry

KEY = "luma-live-key-0123456789abcdef"
PAT = "studio_pat_ab12cd34_EFGHijklMNOPqrst"
WHSEC = "whsec_c2VjcmV0LXNpZ25pbmcta2V5"


class Captured(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []

    def capture_envelope(self, envelope) -> None:
        self.bodies.append(envelope.serialize())


def test_an_error_is_reported_without_the_key_or_any_token():
    transport = Captured()
    sentry.init("https://public@sentry.invalid/1", secrets=[KEY, ""], transport=transport)
    try:
        api_key = KEY  # noqa: F841 (a local variable Sentry would send with the frame)
        headers = {"Authorization": f"Bearer {PAT}", "X-Other": "plain"}  # noqa: F841
        raise RuntimeError(f"the provider refused {KEY}; token {PAT}; secret {WHSEC}")
    except RuntimeError:
        sentry_sdk.capture_exception()
    finally:
        sentry_sdk.flush()
        sentry_sdk.init()  # reporting off again for the rest of the suite
    sent = b"".join(transport.bodies).decode()
    assert "the provider refused" in sent and sentry.SCRUBBED in sent
    for secret in (KEY, PAT, WHSEC, "ab12cd34_EFGH"):
        assert secret not in sent


def test_the_scrubber_leaves_ordinary_values_and_hides_secret_named_ones():
    scrub = sentry.Scrubber([KEY])
    event = {
        "message": "job 12 failed",
        "request": {"headers": [["Cookie", "sessionid=abc"], ["Accept", "text/html"]]},
        "extra": {"password": "hunter2", "count": 3, "note": f"Bearer {PAT}"},
    }
    out = scrub(event)
    assert out["message"] == "job 12 failed"
    assert out["request"]["headers"] == [["Cookie", sentry.SCRUBBED], ["Accept", "text/html"]]
    assert out["extra"]["password"] == sentry.SCRUBBED
    assert out["extra"]["count"] == 3
    assert PAT not in out["extra"]["note"]
