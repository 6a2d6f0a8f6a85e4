"""The token of a public link: `<key><mac>`, 44 URL-safe characters.

`key` is secrets.token_urlsafe(16) (128 random bits), stored on the row and used to find it;
`mac` is the first 128 bits of HMAC-SHA256(SECRET_KEY, key), never stored. Opening a link
needs both, so neither a copy of the database nor the secret key alone opens one, while the
owner's list can always draw the URL again (a hash-only token would be shown once, and a
link people pass around must be copyable again later). Rotating DJANGO_SECRET_KEY changes
every link's URL (the old ones answer 404) unless the old key is in SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

KEY_LENGTH = 22  # len(secrets.token_urlsafe(16))
TOKEN_LENGTH = 2 * KEY_LENGTH
_SALT = "studio.links.PublicLink"


def new_key() -> str:
    return secrets.token_urlsafe(16)


def _mac(key: str, secret: str) -> str:
    digest = salted_hmac(_SALT, key, secret=secret, algorithm="sha256").digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_for(key: str) -> str:
    return key + _mac(key, settings.SECRET_KEY)


def split(token: str) -> str | None:
    """The key of a well-formed, genuine token (checked against the secret key and its
    fallbacks), else None. The row may still not exist."""
    if len(token) != TOKEN_LENGTH:
        return None
    key, mac = token[:KEY_LENGTH], token[KEY_LENGTH:]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if constant_time_compare(mac, _mac(key, secret)):
            return key
    return None
