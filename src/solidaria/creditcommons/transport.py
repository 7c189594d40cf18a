"""How a node talks to its neighbours: signed JSON over HTTP, or (tests) a stand-in.

`send(link, op, payload)` returns the neighbour's JSON answer, or raises `Unreachable`
when no answer came (timeout, reset, a server error): the caller must then treat the
outcome as unknown, never as a refusal. `NotDelivered` (a kind of `Unreachable`: the
connection was refused) means the message never arrived, so nothing happened there.

Every message carries a fresh single-use nonce under the signature (the receiver keeps
the nonces it saw within the replay window and refuses a repeat). The neighbour's host
is resolved through the SSRF guard (`core.netguard`: http(s) only, public addresses
unless `CC_ALLOW_PRIVATE_LINKS`) and the connection goes to the address that was checked.
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from solidaria.core import netguard
from solidaria.core.errors import ValidationFailed
from solidaria.creditcommons.engine import signature

if TYPE_CHECKING:
    from solidaria.creditcommons.models import Link

HTTP_TIMEOUT_SECONDS = 30
# a checked resolution is reused this long (the connection still goes to the checked
# address, so a name that changes its answer meanwhile reaches nothing unchecked)
RESOLVED_SECONDS = 60


class Unreachable(Exception):
    """The neighbour gave no usable answer."""


class NotDelivered(Unreachable):
    """The message certainly never reached the neighbour (the connection was refused):
    nothing can have happened there because of it."""


class Refused(Exception):
    """The neighbour refused the request itself (a 4xx: bad signature, unknown link)."""


Sender = Callable[["Link", str, dict[str, Any]], dict[str, Any]]


def allow_private() -> bool:
    """Links to loopback or private addresses only when the operator says so (a test
    federation on one machine, a private network of servers)."""
    return bool(settings.SOLIDARIA.get("CC_ALLOW_PRIVATE_LINKS", False))


def check_link_url(url: str) -> str:
    """A link's base URL as given, or ValidationFailed: http(s) with a host, no user name
    or password, no query; an address that is loopback, private or reserved only when
    private links are allowed. A name is resolved now when it can be (a name that does not
    resolve yet is kept: every connection resolves and checks it again, and connects to
    the checked address)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed(_("The address is not a valid URL."), field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            _("The address starts with http:// or https:// and names a host."), field="url"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationFailed(
            _("The address may not contain a user name or a password: the link is signed."),
            field="url",
        )
    if parts.query or parts.fragment or port == 0:
        raise ValidationFailed(
            _("The address is a server's base URL, without a query or a fragment."), field="url"
        )
    if allow_private():
        return url
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port or 80)]
    except (OSError, UnicodeError):
        addresses = []
    if any(not netguard.is_public(address) for address in addresses):
        raise ValidationFailed(
            _(
                "The address %(host)s is on this machine or a private network, and links to "
                "such addresses are turned off on this server."
            )
            % {"host": parts.hostname},
            field="url",
        )
    return url


_resolved: dict[str, tuple[float, netguard.Target]] = {}


def _target(url: str) -> netguard.Target:
    """The checked resolution of `url` (`netguard.UnsafeURL` when it may not be reached)."""
    now = time.monotonic()
    private = allow_private()
    key = f"{int(private)}|{url}"
    found = _resolved.get(key)
    if found is not None and now - found[0] < RESOLVED_SECONDS:
        return found[1]
    target = netguard.resolve(url, allow_private=private)
    _resolved[key] = (now, target)
    return target


def _connection(target: netguard.Target, timeout: float) -> http.client.HTTPConnection:
    """An HTTP(S) connection to the first checked address that accepts one (TLS still
    checks the host's name)."""
    failure: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection((address, target.port), timeout=timeout)
            break
        except OSError as exc:
            failure = exc
    else:
        assert failure is not None  # resolve() gives at least one address
        raise failure
    if target.scheme == "https":
        try:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    conn.sock = sock
    return conn


def signed_headers(link: Link, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    sender = str(settings.SOLIDARIA["NETWORK_SLUG"])
    nonce = secrets.token_hex(16)
    return {
        "Content-Type": "application/json",
        "X-CC-Node": sender,
        "X-CC-Timestamp": timestamp,
        "X-CC-Nonce": nonce,
        "X-CC-Signature": signature(
            link.secret, "POST", path, timestamp, body, sender=sender, nonce=nonce
        ),
    }


def http_send(link: Link, op: str, payload: dict[str, Any]) -> dict[str, Any]:
    url = link.base_url + op
    body = json.dumps(payload, sort_keys=True).encode()
    try:
        target = _target(url)
    except netguard.UnsafeURL as exc:  # nothing was sent
        raise NotDelivered(exc.reason) from None
    try:
        conn = _connection(target, HTTP_TIMEOUT_SECONDS)
    except ConnectionRefusedError as exc:
        raise NotDelivered(str(exc)) from None
    except (OSError, ValueError) as exc:  # a timeout while connecting: unknown
        raise Unreachable(str(exc)) from None
    try:
        conn.request(
            "POST", target.path, body=body, headers=signed_headers(link, target.path, body)
        )
        response = conn.getresponse()
        raw = response.read()
        status = response.status
    except (OSError, ValueError, http.client.HTTPException) as exc:  # timeouts, resets
        raise Unreachable(str(exc) or type(exc).__name__) from None
    finally:
        conn.close()
    if 400 <= status < 500:
        try:
            detail = json.loads(raw.decode()).get("reason", "")
        except (ValueError, AttributeError):
            detail = ""
        raise Refused(detail or f"HTTP {status}")
    if status >= 300:
        raise Unreachable(f"HTTP {status}")
    try:
        answer = json.loads(raw.decode())
    except ValueError as exc:
        raise Unreachable(str(exc)) from None
    if not isinstance(answer, dict):  # null, a number, a list: no usable answer
        raise Unreachable("the answer is not a JSON object")
    return answer


_sender: Sender = http_send


def send(link: Link, op: str, payload: dict[str, Any]) -> dict[str, Any]:
    return _sender(link, op, payload)


def use(sender: Sender | None) -> None:
    """Route every outbound message through `sender` (tests); None restores HTTP."""
    global _sender
    _sender = sender or http_send
