"""Reading settings from the environment, strictly.

A value that cannot mean what its variable needs (`STUDIO_HTTPS=ture`, `STUDIO_BATCH_MAX=four`)
stops start-up with a message naming the variable: read leniently, a typo would silently turn
a safety switch off. Unset or empty means the default. No Django settings are read here: the
settings modules call these before Django is set up.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a boolean: use one of "
        f"{', '.join(sorted(TRUE))} or {', '.join(sorted(FALSE))}."
    )


def _parsed(name: str, default, parse, what: str):
    value = _raw(name)
    if value is None:
        return default
    try:
        return parse(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={os.environ[name]!r} is not {what}.") from None


def env_int(name: str, default: int) -> int:
    return _parsed(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _parsed(name, default, float, "a number")


def env_floats(name: str, default: str) -> list[float]:
    """A comma-separated list of numbers (e.g. a retry schedule in seconds)."""
    return _parsed(
        name,
        [float(part) for part in default.split(",")],
        lambda value: [float(part) for part in value.split(",")],
        "a comma-separated list of numbers",
    )


def env_model_seconds(name: str, default: dict[str, float]) -> dict[str, float]:
    """Seconds per model, `uni-1=8,uni-1-max=10`; `0` (or `off`) for none."""

    def parse(value: str) -> dict[str, float]:
        if value.lower() in FALSE:
            return {}
        pairs = [part.split("=") for part in value.split(",")]
        if any(len(pair) != 2 or not pair[0].strip() for pair in pairs):
            raise ValueError(value)
        return {model.strip(): float(seconds) for model, seconds in pairs}

    return _parsed(name, default, parse, "a list of model=seconds (or 0)")
