"""Outbound connections to addresses an admin typed: resolve once, check the address, connect to that address.

A webhook URL is chosen by whoever configures a channel; pointed at `127.0.0.1`, `169.254.x.x` or
the cloud's metadata service (`100.100.100.200` on Alibaba Cloud) it would make the function
fetch its own credentials or poke internal services (SSRF). So the host is resolved once, every
address it resolves to is checked, and the connection goes to the checked address itself (TLS
still verifies the certificate against the host name): a DNS answer that changes between the
check and the connect (rebinding) cannot slip an internal address in.

Loopback is allowed only when `allow_loopback` is set — localcloud's own tests start their
receivers on 127.0.0.1; link-local and metadata addresses are refused always.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..core.i18n import N_, Text

METADATA = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("169.254.169.254"),
            ipaddress.ip_address("fd00:ec2::254")}


class TargetRefused(ValueError):
    """The address is not one alerts may connect to; the message says why, without secrets.

    The message is a template with named fields (core/i18n.py): `str()` is English (a delivery's recorded
    error, logs); `text` renders in the reader's language when a channel is refused at the api."""

    def __init__(self, message: str, /, **fields: Any) -> None:
        self.text = Text(message, fields)
        super().__init__(str(self.text))


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    """Why `ip` is refused, or None when it may be used."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA:
        return N_("a cloud metadata address")
    if ip.is_loopback:
        return None if allow_loopback else N_("a loopback address")
    if ip.is_link_local:
        return N_("a link-local address")
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return N_("not a unicast address")
    return None


def resolve(host: str, port: int, *, allow_loopback: bool) -> str:
    """The address to connect to: every address `host` resolves to must pass, the first is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused("cannot resolve {host}: {error}", host=host, error=str(exc)) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused("{host} has no address", host=host)
    for text in addresses:
        problem = address_problem(ipaddress.ip_address(text.split("%")[0]), allow_loopback=allow_loopback)
        if problem:
            raise TargetRefused("{host} resolves to {problem}; alerts do not connect there", host=host,
                                problem=Text(problem))
    return addresses[0]


def check_url(url: str, *, allow_loopback: bool) -> None:
    """Refuse a URL whose host is (or resolves to) a forbidden address; used when a channel is saved."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only http:// and https:// addresses")
    resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_loopback=allow_loopback)


def check_channel_target(channel: Any, *, allow_loopback: bool) -> None:
    """A channel's webhook/robot URL or SMTP host, checked when it is saved; RuleError names the field."""
    from .rules import RuleError

    try:
        if "url" in channel.config:
            check_url(str(channel.config["url"]), allow_loopback=allow_loopback)
        else:
            resolve(str(channel.config["host"]), int(channel.config.get("port", 465)), allow_loopback=allow_loopback)
    except TargetRefused as exc:
        field = "config.url" if "url" in channel.config else "config.host"
        raise RuleError(field, "{details}", "invalid_channel", details=exc.text) from None


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_loopback: bool,
         max_reply: int = 65536) -> Reply:
    """POST to `url` through the checked address; `timeout` bounds the connect and each read."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only http:// and https:// addresses")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(parts.hostname, port, allow_loopback=allow_loopback)
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers={"Content-Length": str(len(body)), **headers})
        resp = conn.getresponse()
        return Reply(resp.status, resp.read(max_reply))
    finally:
        conn.close()
