"""Where a webhook may be sent: checked when it is sent, on the addresses the name resolves to
then, and the connection made to the very address that was checked (a name that resolves to
a public address for the check and to 127.0.0.1 for the connection gets nowhere)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# Cloud metadata services: link-local on most clouds (169.254.169.254, refused below with
# every link-local address), and AWS's IPv6 one, which sits in unique-local space.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class Refused(Exception):
    """The URL may not be sent to; the message says why, for the delivery log."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (for the Host header and TLS)
    port: int
    path: str  # path and query
    address: str  # the checked IP to connect to


def _refusal(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr in METADATA:
        return "a cloud metadata address"
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast:
        return "a multicast address"
    if addr.is_unspecified:
        return "an unspecified address"
    if addr.is_private or not addr.is_global:
        return "a private or reserved address"
    return None


def check_url(url: str) -> None:
    """Refuse a URL that can never be sent to (wrong scheme, no host): when it is saved."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise Refused("the URL has no host")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise Refused("the URL's port is not valid") from exc
    if parts.username or parts.password:
        raise Refused("the URL may not carry a user name or password")


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """The address to send `url` to, resolved now; Refused when it is not allowed."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"the host {host!r} does not resolve") from exc
    addresses = []
    for info in infos:
        # A scope id ("fe80::1%eth0") is not part of the address itself.
        addresses.append(ipaddress.ip_address(info[4][0].split("%")[0]))
    if not addresses:
        raise Refused(f"the host {host!r} does not resolve")
    if not allow_private:
        # Every address must pass: a name with one public and one private address would let
        # the connection pick the private one.
        for addr in addresses:
            why = _refusal(addr)
            if why:
                raise Refused(f"{host} resolves to {why} ({addr}); such targets are refused")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))
