"""Settings read from the environment strictly: a value that is not what its variable needs
stops start-up with a message naming the variable (a typo must not switch a guard off)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from studio.core.env import env_bool, env_float, env_floats, env_int
from tests.worker import REPO


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on", " ON "])
def test_true_spellings_read_as_true(monkeypatch, value):
    monkeypatch.setenv("STUDIO_X", value)
    assert env_bool("STUDIO_X") is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off"])
def test_false_spellings_read_as_false(monkeypatch, value):
    monkeypatch.setenv("STUDIO_X", value)
    assert env_bool("STUDIO_X", True) is False


@pytest.mark.parametrize("value", [None, "", "  "])
def test_unset_or_empty_reads_as_the_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("STUDIO_X", raising=False)
    else:
        monkeypatch.setenv("STUDIO_X", value)
    assert env_bool("STUDIO_X", True) is True
    assert env_int("STUDIO_X", 7) == 7
    assert env_float("STUDIO_X", 0.5) == 0.5
    assert env_floats("STUDIO_X", "1,2") == [1.0, 2.0]


@pytest.mark.parametrize("value", ["ture", "2", "y", "enabled"])
def test_a_value_that_is_not_a_boolean_is_refused_with_its_name(monkeypatch, value):
    monkeypatch.setenv("STUDIO_X", value)
    with pytest.raises(ImproperlyConfigured, match=f"STUDIO_X='{value}' is not a boolean"):
        env_bool("STUDIO_X")


def test_numbers_are_read_and_a_bad_one_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("STUDIO_N", "12")
    assert env_int("STUDIO_N", 0) == 12
    assert env_float("STUDIO_N", 0.0) == 12.0
    monkeypatch.setenv("STUDIO_N", "four")
    with pytest.raises(ImproperlyConfigured, match="STUDIO_N='four' is not a whole number"):
        env_int("STUDIO_N", 0)
    with pytest.raises(ImproperlyConfigured, match="STUDIO_N='four' is not a number"):
        env_float("STUDIO_N", 0.0)
    monkeypatch.setenv("STUDIO_N", "10,x")
    with pytest.raises(ImproperlyConfigured, match="STUDIO_N='10,x' is not a comma-separated"):
        env_floats("STUDIO_N", "1")


def test_a_mistyped_boolean_stops_start_up_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'env.sqlite3'}",
        STUDIO_HTTPS="ture",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert "STUDIO_HTTPS='ture' is not a boolean" in done.stderr
    env["STUDIO_HTTPS"] = "0"
    assert (
        subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=120,
        ).returncode
        == 0
    )
