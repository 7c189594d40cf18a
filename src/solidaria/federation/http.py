"""The one way federation talks to other machines: small JSON requests with a timeout
and a size cap. Tests inject their own `Transport` (a function), so nothing here is
mocked; the default transport uses the standard library.

Profile URLs come from other networks, so fetching one is a request on their behalf:
a URL whose host resolves to a loopback, private or link-local address is refused unless
SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE is set (tests and the loopback federation harness).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT = 10.0
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class FetchError(Exception):
    """The request could not be made or answered (network, timeout, size, address)."""


Transport = Callable[[str, str, dict[str, Any] | None, float, int], Response]


def allow_private() -> bool:
    value = settings.SOLIDARIA.get("MURMURATIONS_ALLOW_PRIVATE")
    if value is None:
        value = os.environ.get("SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE", "")
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def check_public(url: str) -> None:
    """FetchError unless the URL is http(s) to a public address (or private is allowed)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(f"not a valid URL: {url[:200]}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url[:200]}")
    if allow_private():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(f"{parts.hostname} is a private or loopback address")


def urllib_transport(
    method: str, url: str, body: dict[str, Any] | None, timeout: float, max_bytes: int
) -> Response:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as answer:
            payload = answer.read(max_bytes + 1)
            status = answer.status
    except urllib.error.HTTPError as exc:
        payload, status = exc.read(max_bytes + 1), exc.code
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        raise FetchError(f"{method} {url}: {getattr(exc, 'reason', exc)}") from None
    if len(payload) > max_bytes:
        raise FetchError(f"{url} answered more than {max_bytes} bytes")
    return Response(status=status, body=payload)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Murmurations serves a profile at its URL; a redirect is an answer, not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_transport: Transport = urllib_transport


def use_transport(transport: Transport | None) -> Transport:
    """Install a transport (tests); None puts the standard one back. Returns the old one."""
    global _transport
    old = _transport
    _transport = transport or urllib_transport
    return old


def call(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> Response:
    return _transport(method, url, body, timeout, max_bytes)


def fetch_profile(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Response:
    check_public(url)
    return call("GET", url, timeout=timeout, max_bytes=max_bytes)
