"""Sign-in throttling (django-axes): 5 wrong passwords for one username from one address
lock that pair out for 15 minutes, with a 429 that says so; nobody else is locked out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ATTACKER = "203.0.113.7"


def attempt(client, username: str, password: str, *, ip: str = ATTACKER, url: str = LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, username: str, times: int, **kw):
    return [attempt(client, username, "wrong-password", **kw).status_code for _ in range(times)]


def assert_locked(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    text = response.content.decode()
    assert "Too many sign-in attempts" in text
    assert "15 minutes" in text


def test_four_failures_still_let_the_right_password_in(client, owner):
    assert fail(client, "owner", 4) == [200] * 4
    assert attempt(client, "owner", "pw-owner-123").status_code == 302


def test_the_fifth_failure_locks_the_pair_even_for_the_right_password(client, owner):
    statuses = fail(client, "owner", 5)
    assert statuses[:4] == [200] * 4
    assert statuses[4] == 429
    locked = attempt(client, "owner", "pw-owner-123")
    assert_locked(locked)
    assert "_auth_user_id" not in client.session


def test_other_people_on_the_same_address_still_sign_in(client, owner, member):
    fail(client, "owner", 5)
    assert attempt(client, "member", "pw-member-123").status_code == 302


def test_the_same_person_from_another_address_still_signs_in(client, owner):
    fail(client, "owner", 5)
    assert attempt(client, "owner", "pw-owner-123", ip="198.51.100.2").status_code == 302


def test_the_lock_lifts_after_fifteen_minutes(client, owner):
    fail(client, "owner", 5)
    assert_locked(attempt(client, "owner", "pw-owner-123"))
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert attempt(client, "owner", "pw-owner-123").status_code == 302


def test_the_admin_login_is_throttled_too(client):
    get_user_model().objects.create_superuser("root", password="pw-root-123")
    statuses = fail(client, "root", 5, url=ADMIN_LOGIN)
    assert statuses[:4] == [200] * 4 and statuses[4] == 429
    assert_locked(attempt(client, "root", "pw-root-123", url=ADMIN_LOGIN))
    # One lock for both doors: the studio's login refuses the pair as well.
    assert_locked(attempt(client, "root", "pw-root-123"))


def test_failures_for_unknown_usernames_lock_only_that_name(client, owner):
    fail(client, "nobody-here", 5)
    assert attempt(client, "owner", "pw-owner-123").status_code == 302


def test_behind_the_https_proxy_the_forwarded_address_counts(client, owner, settings):
    settings.STUDIO_HTTPS = True

    def via_proxy(password: str, client_ip: str):
        # The proxy appends the address it saw; a client may forge what stands before it.
        return client.post(
            LOGIN,
            {"username": "owner", "password": password},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_ip}",
            HTTP_X_FORWARDED_PROTO="https",
            secure=True,
        )

    assert [via_proxy("wrong", ATTACKER).status_code for _ in range(5)][-1] == 429
    assert via_proxy("pw-owner-123", "198.51.100.9").status_code == 302
    assert AccessAttempt.objects.get().ip_address == ATTACKER


def test_sign_ins_without_a_request_are_not_throttled_but_still_checked(client, owner):
    # The test client's login() and a shell's authenticate() pass no request: no address.
    fail(client, "owner", 5)
    assert client.login(username="owner", password="pw-owner-123")
    assert not client.login(username="owner", password="wrong")
