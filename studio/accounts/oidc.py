"""Sign-in with the company's OpenID Connect provider, through mozilla-django-oidc.

mozilla-django-oidc brings the authorization code flow with PKCE, `state` and `nonce` kept in
the session and checked on the way back, and the ID token's signature checked against the
provider's JWKS. What it leaves to us, and this module adds:
- discovery: the endpoints come from `<issuer>/.well-known/openid-configuration` (cached a few
  minutes), whose `issuer` must be the configured one;
- the ID token's `iss`, `aud`, `exp` and `iat` are checked too (the library checks only the
  signature and the nonce), and userinfo must name the same `sub`;
- accounts: a person is found by (issuer, sub), never by a name; a first sign-in makes an
  account named after `preferred_username` (made unique) with the e-mail kept, and joins an
  existing account by e-mail only when the provider says it is verified and
  STUDIO_OIDC_LINK_BY_EMAIL=1;
- `signals.provider_signed_in` is sent with the person and the claims at every sign-in,
  inside the sign-in's transaction, so a higher app (teams: memberships from a claim) can
  act on them without this layer importing it.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from .models import ExternalIdentity
from .signals import provider_signed_in

log = logging.getLogger("studio.accounts.oidc")

DISCOVERY_SECONDS = 300
_discovery: dict[str, tuple[float, dict]] = {}


class ProviderUnavailable(Exception):
    """The provider could not be asked (down, unreachable, or not answering as one)."""


def enabled() -> bool:
    return bool(
        settings.STUDIO_OIDC_ISSUER
        and settings.STUDIO_OIDC_CLIENT_ID
        and settings.STUDIO_OIDC_CLIENT_SECRET
    )


def provider_name() -> str:
    return settings.STUDIO_OIDC_NAME or "single sign-on"


def _issuer() -> str:
    return settings.STUDIO_OIDC_ISSUER.rstrip("/")


def forget() -> None:
    """Drop the cached discovery documents (tests; a provider that moved)."""
    _discovery.clear()


def provider_config() -> dict:
    """The provider's discovery document, checked and cached; ProviderUnavailable if not."""
    issuer = _issuer()
    cached = _discovery.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        doc = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("OIDC discovery at %s failed: %s", url, exc)
        raise ProviderUnavailable(str(exc)) from exc
    if not isinstance(doc, dict) or str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"{url} names another issuer: {doc.get('issuer')!r}")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if k not in doc]
    if missing:
        raise ProviderUnavailable(f"{url} lacks {', '.join(missing)}")
    _discovery[issuer] = (time.monotonic() + DISCOVERY_SECONDS, doc)
    return doc


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, from STUDIO_OIDC_* and the discovery document."""
    studio = {
        "OIDC_RP_CLIENT_ID": lambda: settings.STUDIO_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": lambda: settings.STUDIO_OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": lambda: settings.STUDIO_OIDC_SCOPES,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": lambda: provider_config()["authorization_endpoint"],
        "OIDC_OP_TOKEN_ENDPOINT": lambda: provider_config()["token_endpoint"],
        "OIDC_OP_USER_ENDPOINT": lambda: provider_config().get("userinfo_endpoint"),
        "OIDC_OP_JWKS_ENDPOINT": lambda: provider_config()["jwks_uri"],
    }
    if attr in studio:
        return studio[attr]()
    return import_from_settings(attr, *default)


def _email_verified(claims: dict) -> bool:
    # Some providers send the boolean as a string.
    return claims.get("email_verified") in (True, "true", "True")


_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]+")


def unique_username(claims: dict) -> str:
    """`preferred_username` as a Django username (letters, digits, @.+-_), made unique with a
    number; the e-mail's local part or "user" when the provider sends no name."""
    wanted = str(claims.get("preferred_username") or "").strip()
    if not wanted:
        wanted = str(claims.get("email") or "").split("@")[0]
    base = _NOT_IN_USERNAME.sub("-", wanted).strip("-")[:140] or "user"
    users = get_user_model().objects
    name, n = base, 1
    while users.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class StudioOIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Endpoints are read when a provider sign-in happens, not for every password check.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password sign-in never reaches the provider,
        # even with ?code=…&state=… in its URL.
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        config = provider_config()
        self.issuer = config["issuer"]
        self.OIDC_OP_TOKEN_ENDPOINT = config["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = config.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = config["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.STUDIO_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.STUDIO_OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {alg!r}, not {self.OIDC_RP_SIGN_ALGO}")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload) -> dict[str, Any]:
        info = {}
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo names another subject than the ID token")
        # Some providers put claims (Entra ID's groups and roles) only in the ID token.
        return {**payload, **info}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        with transaction.atomic():
            identity = (
                ExternalIdentity.objects.select_related("user")
                .filter(issuer=self.issuer, subject=claims["sub"])
                .first()
            )
            if identity is not None:
                user = identity.user
                self._keep_email(user, claims)
            else:
                user = self._linked_by_email(claims) or self._new_user(claims)
                ExternalIdentity.objects.create(
                    user=user, issuer=self.issuer, subject=claims["sub"]
                )
            if user.is_active:
                provider_signed_in.send(sender=ExternalIdentity, user=user, claims=claims)
        return user

    def _keep_email(self, user, claims: dict) -> None:
        email = str(claims.get("email") or "")
        if email and email != user.email:
            user.email = email
            user.save(update_fields=["email"])

    def _linked_by_email(self, claims: dict):
        email = str(claims.get("email") or "")
        if not (settings.STUDIO_OIDC_LINK_BY_EMAIL and email and _email_verified(claims)):
            return None
        matches = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(matches) > 1:
            raise SuspiciousOperation(f"two accounts have the e-mail {email}: none is joined")
        if matches:
            log.info("provider sign-in %s joined account %s by verified e-mail", email, matches[0])
        return matches[0] if matches else None

    def _new_user(self, claims: dict):
        email = str(claims.get("email") or "")
        user = self.UserModel(username=unique_username(claims), email=email)
        user.set_unusable_password()
        user.save()
        log.info("account %s made at its first provider sign-in", user.username)
        return user
