"""Personal access tokens: making one, recognising one, finding its row.

A token reads `studio_pat_` + 8 characters of lookup prefix + 32 random ones + a 6-character
checksum of the rest (as GitHub's do), so a leaked one is recognisable by secret scanners and
a mistyped one is refused without a database query. Only the prefix and a SHA-256 digest are
stored; the digest is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib
from datetime import timedelta

from django.utils import timezone

from .models import ApiToken

PREFIX = "studio_pat_"
ALPHABET = string.ascii_letters + string.digits
LOOKUP_LEN = 8
SECRET_LEN = 32
CHECKSUM_LEN = 6
TOKEN_LEN = len(PREFIX) + LOOKUP_LEN + SECRET_LEN + CHECKSUM_LEN
DEFAULT_EXPIRY_DAYS = 90
# A used token's `last_used_at` is written at most this often: not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, len(ALPHABET))
        out.append(ALPHABET[r])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LEN)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_text() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LOOKUP_LEN + SECRET_LEN))
    return f"{PREFIX}{body}{_checksum(body)}"


def well_formed(token: str) -> bool:
    """Shape and checksum only: a string that could be a token of ours."""
    if len(token) != TOKEN_LEN or not token.startswith(PREFIX):
        return False
    body = token[len(PREFIX) : -CHECKSUM_LEN]
    if any(ch not in ALPHABET for ch in body):
        return False
    return hmac.compare_digest(_checksum(body), token[-CHECKSUM_LEN:])


def issue(*, user, name: str, team=None, expires_days: int | None = DEFAULT_EXPIRY_DAYS):
    """Save a new token row and return (row, the token text, shown once and never again).
    `expires_days` None: never expires."""
    text = new_token_text()
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    row = ApiToken.objects.create(
        user=user,
        name=name,
        team=team,
        prefix=text[len(PREFIX) : len(PREFIX) + LOOKUP_LEN],
        digest=digest_of(text),
        expires_at=expires_at,
    )
    return row, text


def find(token: str) -> ApiToken | None:
    """The live token row this text proves, or None (malformed, unknown, wrong secret,
    revoked or expired). Notes its use."""
    if not well_formed(token):
        return None
    prefix = token[len(PREFIX) : len(PREFIX) + LOOKUP_LEN]
    row = ApiToken.objects.select_related("user", "team").filter(prefix=prefix).first()
    if row is None or not hmac.compare_digest(row.digest, digest_of(token)):
        return None
    if row.is_revoked or row.is_expired or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
