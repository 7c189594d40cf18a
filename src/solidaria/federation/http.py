"""The one way federation talks to other machines: small JSON requests under a total
deadline and a size cap. Tests inject their own `Transport` (a function), so nothing here
is mocked; the standard transport is `core.netguard` (one DNS resolution, the connection
to the checked address, a wall-clock deadline, no redirects followed).

Profile URLs come from other networks, so fetching one is a request on their behalf:
a URL whose host resolves to a loopback, private or link-local address is refused unless
SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE is set (tests and the loopback federation harness).
The index's address is the operator's or a steward's choice: calls to it are not refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from solidaria.core import netguard
from solidaria.murmurations.fetching import allow_private

TIMEOUT = 10.0  # seconds for a whole request: connecting, sending and reading the answer
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


# The request could not be made or answered (network, deadline, size, address).
FetchError = netguard.FetchError

# (method, url, JSON body or None, deadline in seconds, max bytes, allow private addresses)
Transport = Callable[[str, str, dict[str, Any] | None, float, int, bool], Response]


def guarded_transport(
    method: str,
    url: str,
    body: dict[str, Any] | None,
    timeout: float,
    max_bytes: int,
    allow_private: bool = True,
) -> Response:
    """The standard transport: `timeout` is the deadline for the whole request."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    answer = netguard.fetch(
        method,
        url,
        allow_private=allow_private,
        body=data,
        headers=headers,
        deadline=timeout,
        connect_timeout=min(netguard.CONNECT_TIMEOUT, timeout),
        read_timeout=timeout,
        max_bytes=max_bytes,
    )
    return Response(status=answer.status, body=answer.body)


_transport: Transport = guarded_transport


def use_transport(transport: Transport | None) -> Transport:
    """Install a transport (tests); None puts the standard one back. Returns the old one."""
    global _transport
    old = _transport
    _transport = transport or guarded_transport
    return old


def call(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    allow_private: bool = True,
) -> Response:
    return _transport(method, url, body, timeout, max_bytes, allow_private)


def fetch_profile(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Response:
    """GET a profile URL another network gave us: public addresses only (unless allowed)."""
    return call("GET", url, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private())
