"""docker-compose.yml, the Dockerfile and .env.example checked against the project.

Our machines have no Docker engine, so the files are tested as data: every command a
service runs exists here, every variable they set is one the settings read, health checks
ask real URLs, volumes and dependencies add up, and no secret is written down.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve

from studio.core import views as core_views
from tests.deploy.compose_file import COMPOSE, REPO, SERVICES

DOCKERFILE = (REPO / "Dockerfile").read_text()
# The services that run the studio's own image (the others are official images).
STUDIO_SERVICES = sorted(name for name, svc in SERVICES.items() if "build" in svc)
ONE_SHOT = {"migrate", "createbucket"}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")
# Variables in the studio's containers read by something other than the settings, and what.
READ_ELSEWHERE = {
    "WEB_CONCURRENCY": "gunicorn (its worker count)",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus-client (where processes add up their metrics)",
    "PYTHONDONTWRITEBYTECODE": "python",
    "PYTHONUNBUFFERED": "python",
    "PIP_NO_CACHE_DIR": "pip",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip",
}
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|API_KEY|ACCESS_KEY")
FROM_ENV = "FROM-ENV"


def interpolated(value: str) -> str:
    """The value with each `${VAR…}` replaced by a marker, so a URL in it parses."""
    return INTERPOLATION.sub(FROM_ENV, value)


def settings_env_names() -> set[str]:
    """Every environment variable the settings (studio/settings/) read, found in their
    syntax trees."""
    trees = [ast.parse(p.read_text()) for p in sorted((REPO / "studio" / "settings").glob("*.py"))]
    readers = {"get", "getenv", "env_int", "env_bool", "env_float", "env_floats"}
    names: set[str] = set()
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in readers and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
            names.update(
                kw.value.value
                for kw in node.keywords
                if kw.arg == "env" and isinstance(kw.value, ast.Constant)
            )
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.unparse(node.slice).strip("'\""))
    return {n for n in names if isinstance(n, str) and n.isupper()}


SETTINGS_ENV = settings_env_names()


def dockerfile_instructions(keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.strip() and line.split(None, 1)[0].upper() == keyword
    ]


def command_of(service: dict) -> list[str]:
    cmd = service.get("command")
    if cmd is None:
        cmd = yaml.safe_load(dockerfile_instructions("CMD")[-1])
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def assert_runs_in_project(argv: list[str]) -> None:
    if argv[:2] == ["python", "manage.py"]:
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
    elif argv[0] == "gunicorn":
        module, _, attr = argv[1].partition(":")
        # Found, not imported: the WSGI module refuses to load without a production key.
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin, f"no module {module}"
        tree = ast.parse(Path(spec.origin).read_text())
        assigned = {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        } | {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert (attr or "application") in assigned, f"{module} has no {attr}"
        bind = argv[argv.index("--bind") + 1]
        assert bind.endswith(":8000"), "the health check and the ports expect 8000"
    else:
        pytest.fail(f"a studio service runs something unknown: {argv}")


# --- the studio's services ---------------------------------------------------------------


def test_the_issue_s_services_are_all_there():
    assert {"web", "worker", "migrate", "postgres", "redis", "minio"} <= set(SERVICES)
    assert set(STUDIO_SERVICES) == {"web", "worker", "migrate"}


@pytest.mark.parametrize("name", ["web", "worker", "migrate"])
def test_every_studio_service_runs_a_command_of_the_project(name):
    assert_runs_in_project(command_of(SERVICES[name]))


def test_the_image_default_is_gunicorn_and_the_worker_is_studio_worker():
    assert command_of({})[0] == "gunicorn"
    assert_runs_in_project(command_of({}))
    assert command_of(SERVICES["worker"]) == ["python", "manage.py", "studio_worker"]
    assert command_of(SERVICES["migrate"])[:3] == ["python", "manage.py", "migrate"]


@pytest.mark.parametrize("name", ["web", "worker", "migrate"])
def test_every_variable_a_studio_service_sets_is_read(name):
    unread = [
        var
        for var in SERVICES[name].get("environment", {})
        if var not in SETTINGS_ENV and var not in READ_ELSEWHERE
    ]
    assert not unread, f"{name} sets variables nothing reads: {unread}"


def test_the_settings_reader_finds_what_settings_read():
    # The check above is only as good as this list; a few we know are read.
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "STUDIO_S3_BUCKET"} <= SETTINGS_ENV
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME"} <= SETTINGS_ENV
    assert "STUDIO_S3_ENDPOINT_URL" in SETTINGS_ENV


def test_the_scaled_configuration_is_the_one_compose_runs():
    env = SERVICES["worker"]["environment"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert urlsplit(interpolated(env["DATABASE_URL"])).hostname == "postgres"
    assert env["STUDIO_S3_BUCKET"] and env["STUDIO_S3_ENDPOINT_URL"] == "http://minio:9000"
    for name in STUDIO_SERVICES:
        svc_env = SERVICES[name]["environment"]
        for var in ("DATABASE_URL", "REDIS_URL", "STUDIO_S3_BUCKET", "DJANGO_SECRET_KEY"):
            assert svc_env[var] == env[var], f"{name} and worker disagree on {var}"


def test_the_worker_scales():
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker.get("restart") in ("unless-stopped", "always", "on-failure")


# --- health checks -----------------------------------------------------------------------


def test_web_health_check_asks_the_healthz_view():
    test = " ".join(SERVICES["web"]["healthcheck"]["test"])
    urls = re.findall(r"https?://[^\s'\"]+", test)
    assert urls, test
    for url in urls:
        parts = urlsplit(url)
        assert parts.port == 8000
        assert resolve(parts.path).func is core_views.healthz


@pytest.mark.parametrize("name", ["postgres", "redis", "minio"])
def test_every_long_running_dependency_has_a_health_check(name):
    check = SERVICES[name]["healthcheck"]["test"]
    assert check[0] == "CMD" and len(check) > 1


def test_official_images():
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["minio"]["image"].startswith("minio/minio")


# --- dependencies and volumes ------------------------------------------------------------


def test_depends_on_conditions_make_sense():
    for name, svc in SERVICES.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in SERVICES, f"{name} depends on a missing service {dep}"
            target = SERVICES[dep]
            if dep in ONE_SHOT:
                expected = "service_completed_successfully"
            else:
                assert "healthcheck" in target, f"{name} waits for {dep}, which has no check"
                expected = "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {dep}"


def test_one_shot_services_run_once_and_the_others_wait_for_migrate():
    for name in ONE_SHOT:
        assert SERVICES[name]["restart"] == "no"
    for name in ("web", "worker"):
        deps = SERVICES[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["createbucket"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_no_dependency_cycle():
    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"cycle: {' -> '.join((*path, name))}"
        for dep in SERVICES[name].get("depends_on") or {}:
            visit(dep, (*path, name))

    for name in SERVICES:
        visit(name, ())


def test_named_volumes_are_declared_and_used():
    declared = set(COMPOSE.get("volumes") or {})
    used = set()
    for svc in SERVICES.values():
        for volume in svc.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used == declared
    assert {"pgdata", "redisdata", "miniodata"} <= declared
    assert any(v.endswith(":/var/lib/postgresql/data") for v in SERVICES["postgres"]["volumes"])


# --- secrets and .env.example ------------------------------------------------------------


def _all_environment():
    for name, svc in SERVICES.items():
        for var, value in (svc.get("environment") or {}).items():
            yield name, var, "" if value is None else str(value)


def test_compose_holds_no_secret():
    for name, var, value in _all_environment():
        if SECRET_NAMES.search(var) and value:
            assert INTERPOLATION.fullmatch(value), f"{name}.{var} is written down: {value!r}"
        if "://" in value and "@" in value:
            password = urlsplit(interpolated(value)).password
            assert password in (None, FROM_ENV), f"{name}.{var} holds a password"


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_env_example_names_every_variable_compose_interpolates():
    text = (REPO / "docker-compose.yml").read_text()
    interpolated = set(INTERPOLATION.findall(text))
    example = env_example()
    assert interpolated <= set(example), interpolated - set(example)
    # And nothing in it is unused.
    assert set(example) <= interpolated, set(example) - interpolated


def test_env_example_holds_placeholders_not_secrets():
    for key, value in env_example().items():
        # STUDIO_PASSWORD_LOGIN is a switch (0 / 1) that merely names passwords.
        if SECRET_NAMES.search(key) and key not in {"LUMA_AGENTS_API_KEY", "STUDIO_PASSWORD_LOGIN"}:
            assert "change-me" in value, f"{key} in .env.example looks like a real secret"
    assert env_example()["LUMA_AGENTS_API_KEY"] == ""


def test_required_secrets_have_no_default():
    text = (REPO / "docker-compose.yml").read_text()
    for var in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"):
        assert re.search(r"\$\{" + var + r":\?", text), f"{var} must be required, not defaulted"
        assert not re.search(r"\$\{" + var + r":-", text)


# --- the Dockerfile ----------------------------------------------------------------------


def test_dockerfile_base_user_install_and_collectstatic():
    assert dockerfile_instructions("FROM") == ["python:3.11-slim"]
    users = dockerfile_instructions("USER")
    assert users and users[-1] not in ("root", "0")
    # USER comes before CMD: the server never runs as root.
    assert DOCKERFILE.index("\nUSER ") < DOCKERFILE.index("\nCMD ")
    runs = " ".join(dockerfile_instructions("RUN"))
    assert re.search(r"pip install (-e )?\.(\s|$)", runs), "the project is installed"
    assert "[dev]" not in runs, "no dev extras in the image"
    assert "manage.py collectstatic --noinput" in runs


def test_dockerfile_copies_what_exists_and_what_the_settings_need():
    copied = []
    for args in dockerfile_instructions("COPY"):
        *sources, _dest = args.split()
        copied += sources
    for source in copied:
        assert (REPO / source).exists(), f"COPY {source}: no such file"
    assert {"manage.py", "pyproject.toml", "studio", "templates", "static"} <= set(copied)


def test_dockerfile_environment_is_read():
    for args in dockerfile_instructions("ENV"):
        for pair in args.split():
            var = pair.split("=", 1)[0]
            assert var in SETTINGS_ENV or var in READ_ELSEWHERE, f"ENV {var} is read by nothing"


def test_dockerignore_keeps_local_state_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", ".env", "media", "db.sqlite3*", ".git"} <= set(ignored)
