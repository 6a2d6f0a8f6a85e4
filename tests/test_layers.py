"""Every import inside studio/ points down DESIGN.md's layers (or sideways within one).

An app may import its own layer or a lower one; a lower app that must ask a higher one does so
through a seam the higher one plugs into (a setting of dotted paths, a signal, a template tag).
Imports inside functions count too. The project modules (settings, urls, wsgi, asgi) sit on top.
"""

import ast
from pathlib import Path

import studio

LAYERS = {
    "core": 1,
    "accounts": 2,
    "upstream": 2,
    "simulator": 3,
    "teams": 3,
    "uploads": 3,
    "generations": 4,
    "moderation": 5,
    "usage": 5,
    "collections": 5,
    "webhooks": 5,
    "links": 5,
    "api": 6,
}
PROJECT = {"settings", "urls", "wsgi", "asgi", "__init__"}
ROOT = Path(studio.__file__).parent


def _component(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def _imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".")
                if not is_package:
                    package = package[:-1]
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from studio import usage` names the app in the alias.
            if name == "studio":
                found += [(node.lineno, f"studio.{alias.name}") for alias in node.names]
    return found


def layer_violations() -> list[str]:
    violations = []
    for path in sorted(ROOT.rglob("*.py")):
        own = _component(path)
        if own not in LAYERS:
            continue
        rel = path.relative_to(ROOT.parent)
        module = ".".join(rel.with_suffix("").parts)
        is_package = path.name == "__init__.py"
        if is_package:
            module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(), filename=str(path))
        for lineno, name in _imported_modules(tree, module, is_package):
            parts = name.split(".")
            if parts[0] != "studio" or len(parts) < 2:
                continue
            target = parts[1]
            if target in PROJECT:
                violations.append(f"{rel}:{lineno} imports the project module {name}")
            elif target in LAYERS and LAYERS[target] > LAYERS[own]:
                violations.append(
                    f"{rel}:{lineno} {own} (layer {LAYERS[own]}) imports {name} "
                    f"({target}, layer {LAYERS[target]})"
                )
    return violations


def test_every_app_is_in_a_layer():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    apps = packages - PROJECT
    assert apps == set(LAYERS)


def test_no_import_points_up_the_layers():
    assert layer_violations() == []


def test_an_upward_import_inside_a_function_is_caught(tmp_path):
    tree = ast.parse("def f():\n    from studio.api import auth\n")
    assert _imported_modules(tree, "studio.core.x", False) == [(2, "studio.api")]
