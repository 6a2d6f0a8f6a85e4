"""Sign-in (passwords, sign-up, OpenID Connect), the security headers and cookies, HTTPS
behind a proxy, sign-in throttling. docs/security.md names the threat each one answers."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from studio.core.env import env_bool, env_float, env_int

from .base import S3_MEDIA_ORIGIN


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# STUDIO_SIGNUP=1 opens /accounts/signup/ (username, password, optional e-mail) to anyone;
# off, accounts come from an admin, the `team` command's users or the identity provider.
STUDIO_SIGNUP = env_bool("STUDIO_SIGNUP")

# --- Single sign-on (OpenID Connect, through mozilla-django-oidc; see studio/accounts/oidc.py)
# All three set: the sign-in page offers "Sign in with STUDIO_OIDC_NAME". The endpoints come
# from the issuer's discovery document.
STUDIO_OIDC_ISSUER = os.environ.get("STUDIO_OIDC_ISSUER", "").rstrip("/")
STUDIO_OIDC_CLIENT_ID = os.environ.get("STUDIO_OIDC_CLIENT_ID", "")
STUDIO_OIDC_CLIENT_SECRET = os.environ.get("STUDIO_OIDC_CLIENT_SECRET", "")
STUDIO_OIDC_NAME = os.environ.get("STUDIO_OIDC_NAME", "")
STUDIO_OIDC_SCOPES = os.environ.get("STUDIO_OIDC_SCOPES", "openid email profile")
# A claim whose values (`team-slug` or `team-slug:role`) set team memberships at each sign-in.
STUDIO_OIDC_TEAMS_CLAIM = os.environ.get("STUDIO_OIDC_TEAMS_CLAIM", "")
# 1: a first provider sign-in joins the existing account with that e-mail, when the provider
# says the address is verified. Off by default: an e-mail is not proof of owning an account.
STUDIO_OIDC_LINK_BY_EMAIL = env_bool("STUDIO_OIDC_LINK_BY_EMAIL")
# Signing out also ends the provider's session when it offers end_session_endpoint.
STUDIO_OIDC_END_SESSION = env_bool("STUDIO_OIDC_END_SESSION", True)
# 0: only the provider signs people in here (staff keep the admin's own sign-in page).
STUDIO_PASSWORD_LOGIN = env_bool("STUDIO_PASSWORD_LOGIN", True)
OIDC_RP_SIGN_ALGO = os.environ.get("STUDIO_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's sign-out
OIDC_TOKEN_USE_BASIC_AUTH = True  # client_secret_basic: every provider's default
OIDC_TIMEOUT = env_float("STUDIO_OIDC_TIMEOUT", 10.0)
OIDC_CLOCK_SKEW_SECONDS = 60
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_REDIRECT_FIELD_NAME = "next"

# --- Security ----------------------------------------------------------------------------
# See docs/security.md: each threat, its control and the test that proves it.
# Content-Security-Policy (django-csp): only our own scripts, styles and connections; no
# inline code and no eval (htmx runs with allowEval off, see base.html's htmx-config).
# Images also come from blob: (the composer previews a picked file before upload).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "blob:", "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if S3_MEDIA_ORIGIN:
    # File views redirect the browser to presigned URLs on the bucket for every image.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(S3_MEDIA_ORIGIN)
if STUDIO_OIDC_ISSUER:
    # Signing out posts to the studio, which redirects to the provider's end_session_endpoint:
    # browsers hold a form's redirects to form-action too.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(origin_of(STUDIO_OIDC_ISSUER))
X_FRAME_OPTIONS = "DENY"  # for browsers that predate frame-ancestors
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Pages hand htmx the token in hx-headers; no script ever reads the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# STUDIO_HTTPS=1: served over HTTPS behind a proxy that terminates TLS and sets
# X-Forwarded-Proto (the proxy must overwrite that header, never pass a client's through).
STUDIO_HTTPS = env_bool("STUDIO_HTTPS")
SILENCED_SYSTEM_CHECKS: list[str] = []
if STUDIO_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A load balancer probes /healthz over plain HTTP; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("STUDIO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("STUDIO_HSTS_PRELOAD")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
    if not SECURE_HSTS_PRELOAD:
        # security.W021 asks for HSTS preload. Preloading puts the whole domain (every
        # subdomain too) on a list built into browsers, which takes months to leave: an
        # operator's decision for their domain (STUDIO_HSTS_PRELOAD=1), not a default.
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Error reports (DEBUG's page, admin mails) hide any value that shows the provider key.
DEFAULT_EXCEPTION_REPORTER_FILTER = "studio.core.reporting.KeyHidingFilter"

# Images one person may submit per minute (a batch counts its size), so one account cannot
# drain the budget or the provider's quota by script. Counted from the database: it holds
# across web processes.
SUBMIT_RATE_PER_MINUTE = env_int("STUDIO_SUBMIT_RATE_PER_MINUTE", 30)

# Sign-in throttling (django-axes): 5 failures for one username from one address lock that
# pair out for 15 minutes; others on the same address (an office, a NAT) still sign in.
# The address: REMOTE_ADDR, or behind the STUDIO_HTTPS proxy the one it appended to
# X-Forwarded-For (see studio.accounts.lockout.client_ip).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "studio.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "studio.accounts.lockout.client_ip"
AXES_WHITELIST_CALLABLE = "studio.accounts.lockout.not_a_password_attempt"
