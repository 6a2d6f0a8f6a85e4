"""Start-up checks: a production process must not run on the development secret key.

With DJANGO_DEBUG off and no DJANGO_SECRET_KEY, sessions, CSRF tokens and the simulator's
signed URLs would be signed with a key anyone can read in this repository. The system
check stops `check`, `runserver`, `qcluster`, `studio_worker` and `runstudio`; the WSGI
entry point (studio/wsgi.py) refuses too, so gunicorn stops. Commands that serve nobody
(`migrate`, `collectstatic`, NOT_SERVING) still run, e.g. in an image build.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

MESSAGE = (
    "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is off: refusing to serve with the "
    "development key, which anyone can read in the source."
)
HINT = (
    'Set DJANGO_SECRET_KEY to a long random value (python -c "import secrets; '
    'print(secrets.token_urlsafe(50))"), or DJANGO_DEBUG=1 on a development machine.'
)

# Commands that serve nobody: an image build or a `migrate` job may run them before the
# production secret is handed to the process, and a developer's makemigrations should
# not need one. Everything else (check, runserver, qcluster, studio_worker, runstudio,
# and any command not listed) gets the error.
NOT_SERVING = {
    "migrate",
    "collectstatic",
    "makemigrations",
    "showmigrations",
    "sqlmigrate",
    "createsuperuser",
    "changepassword",
}


def invoked_command(argv: list[str] | None = None) -> str | None:
    """The management command this process was started for (`manage.py NAME ...`)."""
    argv = sys.argv if argv is None else argv
    launchers = ("manage.py", "django-admin", "__main__.py")  # the last: python -m django
    if len(argv) > 1 and os.path.basename(argv[0]) in launchers:
        return argv[1]
    return None


def secret_key_problem() -> str | None:
    """The reason this process must not serve, or None.

    The environment, not the key's value, is asked: a process started with the key its
    parent uses (the test suite's workers) was given one on purpose; `check --deploy`
    still judges how strong it is (security.W009)."""
    if not settings.DEBUG and not os.environ.get("DJANGO_SECRET_KEY"):
        return MESSAGE
    return None


# Tagged, so that a command running only some tags (studio_worker) still runs these.
@register(Tags.security)
def check_secret_key(app_configs=None, **kwargs) -> list[Error]:
    if invoked_command() in NOT_SERVING:
        return []
    problem = secret_key_problem()
    return [Error(problem, hint=HINT, id="studio.E001")] if problem else []


@register("studio")
def sign_in_is_possible(app_configs, **kwargs) -> list[Warning]:
    """STUDIO_PASSWORD_LOGIN=0 without an identity provider leaves only the admin's sign-in."""
    provider = (
        settings.STUDIO_OIDC_ISSUER
        and settings.STUDIO_OIDC_CLIENT_ID
        and settings.STUDIO_OIDC_CLIENT_SECRET
    )
    if settings.STUDIO_PASSWORD_LOGIN or provider:
        return []
    return [
        Warning(
            "STUDIO_PASSWORD_LOGIN=0 and no identity provider is configured: only staff can "
            "sign in (at /admin/login/).",
            hint="Set STUDIO_OIDC_ISSUER, STUDIO_OIDC_CLIENT_ID and STUDIO_OIDC_CLIENT_SECRET, "
            "or STUDIO_PASSWORD_LOGIN=1.",
            id="studio.W101",
        )
    ]
