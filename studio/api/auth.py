"""The API's one authentication: `Authorization: Bearer studio_pat_…`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from studio.accounts import tokens
from studio.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # Not HttpBearer's own: with DEBUG on it logs an unexpected header whole, and a
        # token must never reach a log line.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return tokens.find(token)
