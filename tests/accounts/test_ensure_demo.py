"""`manage.py ensure_demo` (run by `make run`): one demo admin, its password set once."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_on(settings):
    # As `make run` runs it: with DEBUG off it refuses (tests/security/test_startup.py).
    settings.DEBUG = True


LOGIN = "Demo login: username demo  password demo-studio\n"


def test_creates_the_demo_admin_and_prints_its_login(capsys):
    call_command("ensure_demo")
    assert capsys.readouterr().out == "Created the demo account 'demo'.\n" + LOGIN
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff and user.is_superuser
    assert authenticate(username="demo", password="demo-studio") == user


def test_a_second_run_changes_nothing(capsys):
    call_command("ensure_demo")
    user = get_user_model().objects.get(username="demo")
    user.set_password("changed-by-the-operator")
    user.save()
    capsys.readouterr()

    call_command("ensure_demo")
    assert capsys.readouterr().out == LOGIN
    assert get_user_model().objects.count() == 1
    # A password changed since is kept, not reset to the demo one.
    assert get_user_model().objects.get(username="demo").check_password("changed-by-the-operator")
