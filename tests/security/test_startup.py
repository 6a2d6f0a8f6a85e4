"""Production start-up: with DJANGO_DEBUG off and no DJANGO_SECRET_KEY, nothing that serves
starts, while commands an image build runs (migrate, collectstatic) still do; and the
settings an operator sets for HTTPS pass `check --deploy` with no warning.

Each case is a fresh process, as an operator would start it: settings are read once."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.worker import REPO

SECURITY_VARS = (
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "STUDIO_HTTPS",
    "STUDIO_HSTS_PRELOAD",
    "LUMA_AGENTS_API_KEY",
    "REDIS_URL",
    # Set for the browser tests; `check --deploy` rightly rejects it in production.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)
REAL_KEY = secrets.token_urlsafe(50)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in SECURITY_VARS}
    base.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'startup.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="studio.settings",
        DJANGO_DEBUG="0",
    )
    return base


def run(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def manage(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run(env, "manage.py", *args, timeout=timeout)


@pytest.mark.parametrize(
    "command",
    [["check"], ["runserver", "--noreload", "127.0.0.1:0"], ["qcluster"], ["runstudio"]],
    ids=lambda c: c[0],
)
def test_serving_commands_refuse_the_development_key(env, command):
    # A command that started would run until the timeout: stopping at once is the proof.
    result = manage(env, *command, timeout=60)
    assert result.returncode != 0
    assert "studio.E001" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_worker_entry_point_refuses_too(env):
    from django.core.management import get_commands

    if "studio_worker" not in get_commands():
        pytest.skip("no studio_worker command on this main yet")
    result = manage(env, "studio_worker", timeout=60)
    assert result.returncode != 0
    assert "studio.E001" in result.stderr


@pytest.mark.parametrize("module", ["studio.wsgi", "studio.asgi"])
def test_wsgi_entry_point_refuses_so_gunicorn_stops(env, module):
    result = run(env, "-c", f"import {module}")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_gunicorn_itself_will_not_boot(env):
    # gunicorn runs no system checks: the refusal must come from loading the app.
    result = run(
        env,
        "-m",
        "gunicorn",
        "--check-config",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "studio.asgi:application",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stdout + result.stderr


def test_migrate_and_collectstatic_still_run_without_the_key(env):
    migrated = manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying generations.0001_initial... OK" in migrated.stdout
    collected = manage(env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    assert "static files copied" in collected.stdout
    # A developer's migration check needs no secret either.
    unmade = manage(env, "makemigrations", "--check", "--dry-run")
    assert unmade.returncode == 0, unmade.stderr
    by_module = run(env, "-m", "django", "migrate", "--noinput")
    assert by_module.returncode == 0, by_module.stderr


def test_the_command_is_read_from_the_command_line():
    from studio.core.checks import invoked_command

    assert invoked_command(["/srv/manage.py", "migrate", "--noinput"]) == "migrate"
    assert invoked_command(["/venv/bin/django-admin", "check"]) == "check"
    assert invoked_command(["/venv/bin/gunicorn", "studio.wsgi"]) is None


def test_with_the_key_or_with_debug_the_checks_pass(env):
    assert manage({**env, "DJANGO_SECRET_KEY": REAL_KEY}, "check").returncode == 0
    assert manage({**env, "DJANGO_DEBUG": "1"}, "check").returncode == 0
    result = run({**env, "DJANGO_SECRET_KEY": REAL_KEY}, "-c", "import studio.wsgi")
    assert result.returncode == 0, result.stderr


def test_ensure_demo_refuses_its_known_password_with_debug_off(env):
    env = {**env, "DJANGO_SECRET_KEY": REAL_KEY}
    assert manage(env, "migrate", "--noinput").returncode == 0
    refused = manage(env, "ensure_demo")
    assert refused.returncode != 0
    assert "DJANGO_DEBUG=1" in refused.stderr
    created = manage({**env, "DJANGO_DEBUG": "1"}, "ensure_demo")
    assert created.returncode == 0, created.stderr
    assert "Demo login" in created.stdout


PRODUCTION = {"DJANGO_ALLOWED_HOSTS": "studio.example.com", "STUDIO_HTTPS": "1"}


def test_check_deploy_is_clean_in_the_documented_production_setup(env):
    env = {**env, "DJANGO_SECRET_KEY": REAL_KEY, **PRODUCTION}
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    # Without STUDIO_HTTPS the four HTTPS warnings are what an operator would see.
    plain = manage({**env, "STUDIO_HTTPS": ""}, "check", "--deploy", "--fail-level", "WARNING")
    assert plain.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in plain.stderr


SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ("
    "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
    "'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
    "'SECURE_HSTS_PRELOAD', 'SILENCED_SYSTEM_CHECKS')}))"
)


def _settings(env: dict[str, str]) -> dict:
    result = run({**env, "DJANGO_SECRET_KEY": REAL_KEY}, "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_studio_https_turns_on_secure_cookies_hsts_redirect_and_the_proxy_header(env):
    on = _settings({**env, **PRODUCTION})
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert on["SECURE_SSL_REDIRECT"]
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["SECURE_HSTS_SECONDS"] >= 31536000
    assert on["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert on["SECURE_HSTS_PRELOAD"] is False
    assert on["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]
    off = _settings(env)
    assert not off["SESSION_COOKIE_SECURE"] and not off["SECURE_SSL_REDIRECT"]
    assert not off["SECURE_HSTS_SECONDS"] and off["SECURE_PROXY_SSL_HEADER"] is None


def test_hsts_preload_only_when_asked_and_then_w021_is_not_silenced(env):
    preload = _settings({**env, **PRODUCTION, "STUDIO_HSTS_PRELOAD": "1"})
    assert preload["SECURE_HSTS_PRELOAD"] is True
    assert preload["SILENCED_SYSTEM_CHECKS"] == []
    result = manage(
        {**env, **PRODUCTION, "STUDIO_HSTS_PRELOAD": "1", "DJANGO_SECRET_KEY": REAL_KEY},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr


HTTPS_CLIENT = """
import django; django.setup()
from django.test import Client
c = Client()
plain = c.get("/accounts/login/")
print("redirect", plain.status_code, plain.get("Location"))
secure = c.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
print("status", secure.status_code)
print("hsts", secure.get("Strict-Transport-Security"))
print("csp", secure.get("Content-Security-Policy"))
print("csrf-secure", bool(secure.cookies["csrftoken"]["secure"]))
print("healthz", c.get("/healthz").status_code)
"""


def test_behind_the_https_proxy_the_responses_carry_it(env):
    env = {**env, **PRODUCTION, "DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_SECRET_KEY": REAL_KEY}
    result = run(env, "-c", HTTPS_CLIENT)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["redirect"] == "301 https://testserver/accounts/login/"
    assert lines["status"] == "200"
    assert lines["hsts"] == "max-age=31536000; includeSubDomains"
    assert "upgrade-insecure-requests" in lines["csp"]
    assert lines["csrf-secure"] == "True"
    # Load balancers probe /healthz over plain HTTP: answered, not redirected.
    assert lines["healthz"] in ("200", "503")
