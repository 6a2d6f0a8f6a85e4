"""The SSRF guard: what a webhook may be sent to, decided when it is sent."""

from __future__ import annotations

import socket

import pytest

from studio.webhooks import guard, sender


@pytest.fixture(autouse=True)
def _refuse_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False


REFUSED = [
    "http://127.0.0.1/",
    "http://127.255.255.254:8080/hook",
    "http://localhost/",  # a name resolving to 127.0.0.1
    "http://2130706433/",  # 127.0.0.1 as a decimal number
    "http://0x7f000001/",  # ... in hex
    "http://0177.0.0.1/",  # ... in octal
    "http://127.1/",  # ... shortened
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://169.254.1.1/",
    "http://224.0.0.1/",  # multicast
    "http://198.18.0.1/",  # benchmarking, reserved
    "http://[::1]/",
    "http://[::1]:8000/hook",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # v4-mapped loopback
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",  # AWS's IPv6 metadata
    "http://[ff02::1]/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_targets_are_refused(url):
    with pytest.raises(guard.Refused):
        guard.resolve(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://x/",
        "http:///nohost",
        "http://u:p@example.com/",
    ],
)
def test_only_plain_http_urls(url):
    with pytest.raises(guard.Refused):
        guard.check_url(url)


def _resolving_to(monkeypatch, *addresses):
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "::1", "::ffff:192.168.0.1"])
def test_a_public_looking_name_resolving_inside_is_refused(monkeypatch, address):
    _resolving_to(monkeypatch, address)
    with pytest.raises(guard.Refused, match="resolves to"):
        guard.resolve("https://hooks.partner.example/x")


def test_one_internal_address_among_public_ones_is_refused(monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34", "127.0.0.1")
    with pytest.raises(guard.Refused):
        guard.resolve("https://hooks.partner.example/x")


def test_a_public_address_is_allowed_and_connected_to_as_checked(monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34")
    target = guard.resolve("https://hooks.partner.example:8443/in?a=1")
    assert (target.address, target.port, target.host, target.path) == (
        "93.184.216.34",
        8443,
        "hooks.partner.example",
        "/in?a=1",
    )


def test_an_unknown_name_is_refused(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(guard.Refused, match="does not resolve"):
        guard.resolve("https://nowhere.example/")


def test_the_setting_allows_private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert guard.resolve("http://127.0.0.1:9/").address == "127.0.0.1"


def test_a_refused_target_is_logged_not_contacted(receiver):
    # The receiver listens on 127.0.0.1: refused before any connection is made.
    result = sender.post(receiver.url, {}, "{}")
    assert result.status is None
    assert result.error.startswith("refused:")
    assert receiver.received == []
