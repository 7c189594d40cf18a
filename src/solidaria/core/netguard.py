"""Outbound HTTP to addresses other people give us, guarded in one place.

Federation and the Murmurations index fetch URLs that other networks (or strangers) post,
and Credit Commons links name other servers. Every such request goes through `fetch`:

- `check_url` / `resolve`: http(s) only; the host is resolved once and, unless
  `allow_private`, every address it resolves to must be public (no loopback, private,
  link-local, multicast or reserved address: no SSRF into the operator's network);
- the connection goes to the address that was checked, never to a second DNS answer, so a
  name that resolves to a public address at check time and to 127.0.0.1 a moment later
  (DNS rebinding) reaches nothing private; TLS still checks the certificate of the name;
- a total wall-clock `deadline` over connecting, sending, the headers and the body: every
  socket operation gets at most the time that is left, so a server that drips one byte a
  second is cut off at the deadline (per-read timeouts alone do not bound the total);
- at most `max_bytes` of body (and a bounded amount of headers); redirects are answers,
  never followed.

Everything that goes wrong is a `FetchError` with a one-sentence `reason`; a refused URL
is an `UnsafeURL` (a `FetchError` too).
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
DEADLINE = 20.0
MAX_BYTES = 1_000_000
# room for the status line and headers on top of the body (http.client caps each line)
HEADER_ALLOWANCE = 256 * 1024


class FetchError(Exception):
    """The URL could not be read: `reason` says why, in one sentence; `redirect` is set
    when a caller refused a redirect answer."""

    def __init__(self, reason: str, *, redirect: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.redirect = redirect


class UnsafeURL(FetchError):
    """The URL may not be fetched: not http(s), no host, unresolvable, or a private address."""


@dataclass(frozen=True)
class Target:
    """Where a checked URL's request goes: `addresses` are the host's resolved, checked
    addresses, tried in order; `address` is the first."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]
    path: str

    @property
    def address(self) -> str:
        return self.addresses[0]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


# IPv6 addresses that carry an IPv4 address to a gateway that translates it: NAT64's
# well-known prefix is judged by the IPv4 address it carries (as 6to4 and IPv4-mapped are);
# the local-use NAT64 prefix, IPv4-compatible and IPv4-translated addresses and the
# deprecated site-local range are never public (Python 3.11 calls them global).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96", "fec0::/10")
)


def is_public(address: str) -> bool:
    """A global unicast address (an IPv6 address carrying an IPv4 address, mapped, NAT64
    or 6to4, is judged as that IPv4 address)."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif any(ip in network for network in _NOT_PUBLIC_V6):
            return False
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allow_private: bool) -> Target:
    """The one resolution of `url`'s host, checked; UnsafeURL if it may not be fetched."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL(f"The URL cannot be parsed: {url[:200]}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(f"Only http and https URLs with a host are fetched: {url[:200]}")
    if port == 0:
        raise UnsafeURL("The URL's port is not valid.")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host} could not be resolved ({exc}).") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeURL(f"The host {host} has no address.")
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise UnsafeURL(
                f"The host {host} resolves to a private, loopback or reserved address "
                f"({refused[0]}), which is not fetched."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, tuple(dict.fromkeys(addresses)), path)


def check_url(url: str, *, allow_private: bool) -> None:
    """UnsafeURL unless `url` is http(s) to a host whose every address is public (or
    `allow_private`). A check alone does not protect a later connection (the name may
    resolve differently then): fetch with `fetch`, which connects to the checked address."""
    resolve(url, allow_private=allow_private)


class _Clock:
    """What is left of the deadline, for each socket operation."""

    def __init__(self, deadline: float, read_timeout: float, host: str) -> None:
        self.seconds = deadline
        self.ends = time.monotonic() + deadline
        self.read_timeout = read_timeout
        self.host = host

    def expired(self) -> FetchError:
        return FetchError(f"{self.host} took more than {self.seconds:g} seconds to answer.")

    def left(self) -> float:
        return self.ends - time.monotonic()

    def budget(self, limit: float) -> float:
        """Seconds the next operation may take (at most `limit`); FetchError past the end."""
        left = self.left()
        if left <= 0:
            raise self.expired()
        return min(limit, left)


class _Reader(io.RawIOBase):
    """The socket as a file for http.client: each read waits at most what is left."""

    def __init__(self, sock: socket.socket, clock: _Clock, max_raw: int, max_bytes: int) -> None:
        self.sock, self.clock, self.max_raw, self.max_bytes = sock, clock, max_raw, max_bytes
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.sock.settimeout(self.clock.budget(self.clock.read_timeout))
        try:
            got = self.sock.recv_into(buffer)
        except TimeoutError:
            if self.clock.left() <= 0:
                raise self.clock.expired() from None
            raise FetchError(
                f"{self.clock.host} sent nothing for {self.clock.read_timeout:g} seconds."
            ) from None
        self.count += got
        if self.count > self.max_raw:
            raise FetchError(f"The answer is larger than {self.max_bytes} bytes.")
        return got


class _Wire:
    """What http.client needs of a socket (sendall, makefile, close), under the clock.
    `close` is left to `fetch`, which owns the socket."""

    def __init__(self, sock: socket.socket, clock: _Clock, max_bytes: int) -> None:
        self.sock, self.clock, self.max_bytes = sock, clock, max_bytes

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.clock.budget(self.clock.read_timeout))
        self.sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        raw = _Reader(self.sock, self.clock, self.max_bytes + HEADER_ALLOWANCE, self.max_bytes)
        return io.BufferedReader(raw)

    def close(self) -> None:
        pass


def _connect(target: Target, clock: _Clock, connect_timeout: float) -> socket.socket:
    """A connection to the first of the checked addresses that accepts one."""
    failure: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection(
                (address, target.port), timeout=clock.budget(connect_timeout)
            )
            break
        except OSError as exc:
            failure = exc
    else:
        assert failure is not None  # resolve() gives at least one address
        raise failure
    if target.scheme != "https":
        return sock
    try:
        # the handshake, like every TLS operation, is bounded as a whole by the timeout
        sock.settimeout(clock.budget(connect_timeout))
        return ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
    except BaseException:
        sock.close()
        raise


def fetch(
    method: str,
    url: str,
    *,
    allow_private: bool,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    deadline: float = DEADLINE,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> Response:
    """One request to `url` under the rules above; any status is an answer (no redirect
    is followed). FetchError if it cannot be made or answered within the limits."""
    target = resolve(url, allow_private=allow_private)
    clock = _Clock(deadline, read_timeout, target.host)
    sock: socket.socket | None = None
    try:
        sock = _connect(target, clock, connect_timeout)
        conn = http.client.HTTPConnection(target.host, target.port)
        conn.default_port = 443 if target.scheme == "https" else 80  # the Host header
        conn.sock = _Wire(sock, clock, max_bytes)
        conn.request(method, target.path, body=body, headers={**(headers or {})})
        answer = conn.getresponse()
        payload = answer.read(max_bytes + 1)
        if len(payload) > max_bytes:
            raise FetchError(f"The answer is larger than {max_bytes} bytes.")
        if clock.left() < 0:  # the last read ended after the deadline
            raise clock.expired()
        return Response(status=answer.status, body=payload)
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(
            f"The request to {target.host} failed ({type(exc).__name__}: {exc})."[:300]
        ) from None
    finally:
        if sock is not None:
            sock.close()
