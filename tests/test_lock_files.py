"""The lock files pin every dependency pyproject.toml names: `make run` installs
requirements.lock (what runs), `make test` adds requirements-dev.lock (the test tools,
constrained by the first). A dependency added to pyproject.toml without `make lock` fails
here, not on someone's fresh clone a month later."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name, _, version = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_every_dependency_is_pinned_to_one_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    run, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert all(re.fullmatch(r"[\w.+-]+", v) for v in {**run, **dev}.values())
    assert {_name(r) for r in project["dependencies"]} <= set(run)
    assert {_name(r) for r in project["optional-dependencies"]["dev"]} <= set(dev)
    # The test install never moves a version the run install chose.
    assert all(dev[name] == version for name, version in run.items() if name in dev)


def test_the_run_install_has_no_test_tools():
    run = _pins("requirements.lock")
    assert not {"pytest", "playwright", "moto", "hypothesis", "responses"} & set(run)
