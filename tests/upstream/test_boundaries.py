"""`studio.upstream` speaks to the provider only: it never imports the simulator."""

from __future__ import annotations

import ast
from pathlib import Path

import studio.upstream

UPSTREAM = Path(studio.upstream.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_upstream_never_imports_the_simulator():
    files = sorted(UPSTREAM.rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(UPSTREAM)): sorted(
            m for m in _imported_modules(path) if m.startswith("studio.simulator")
        )
        for path in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_simulator_is_mounted_by_settings(settings):
    assert settings.UPSTREAM_SESSION_SETUP == "studio.simulator.wsgi_adapter.mount_in_process"
