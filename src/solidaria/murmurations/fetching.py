"""Fetch a profile URL for the index, safely: the index fetches URLs strangers post.

- http and https only; the URL as posted (at most 2,000 characters);
- the host is resolved once and every address must be public (no loopback, private,
  link-local, multicast or reserved address: no SSRF into the operator's network) unless
  `SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE` is on (tests, `make federation-test`); the
  connection goes to the address that was checked, so a second DNS answer cannot differ;
- no redirects (the protocol: "the profile data must be located at the URL specified");
- a connect and a read timeout, and a total deadline; at most 1 MB of body.

`current()` is the fetch function the index uses; tests swap it with `use_fetcher(fake)`
(a callable `url -> Response` that raises `FetchError`), so no test touches the network.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
MAX_BYTES = 1_000_000
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
TOTAL_DEADLINE = 20.0
USER_AGENT = "Solidaria-Murmurations-Index/1.0"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class FetchError(Exception):
    """The profile URL could not be read: `reason` says why, in one sentence."""

    def __init__(self, reason: str, *, redirect: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.redirect = redirect


Fetcher = Callable[[str], Response]


def url_problem(url: str) -> str:
    """Why `url` cannot be a profile URL ("" when it can): scheme, host, length, characters."""
    if len(url) > MAX_URL_LENGTH:
        return f"The URL is longer than {MAX_URL_LENGTH} characters."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "The URL contains spaces or control characters."
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        return "The URL is not valid text."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL cannot be parsed."
    if parts.scheme not in ("http", "https"):
        return "Only http and https URLs are accepted."
    if not parts.hostname:
        return "The URL has no host."
    if port == 0:
        return "The URL's port is not valid."
    return ""


def allow_private() -> bool:
    return bool(settings.SOLIDARIA.get("MURMURATIONS_ALLOW_PRIVATE", False))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) after the SSRF checks; FetchError if refused."""
    problem = url_problem(url)
    if problem:
        raise FetchError(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"The host {host} could not be resolved ({exc}).") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise FetchError(f"The host {host} has no address.")
    if not allow_private():
        refused = [a for a in addresses if not _public(a)]
        if refused:
            raise FetchError(
                f"The host {host} resolves to a private, loopback or reserved address "
                f"({refused[0]}), which this index does not fetch."
            )
    return parts.scheme, host, port, addresses[0]


def http_fetch(url: str) -> Response:
    """GET `url` under the rules above."""
    import urllib3

    scheme, host, port, address = resolve(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if scheme == "https" else 80
    host_header = f"[{host}]" if ":" in host else host
    if port != default_port:
        host_header += f":{port}"
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "GET",
            target,
            headers={"Host": host_header, "Accept": "application/json", "User-Agent": USER_AGENT},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            if 300 <= response.status < 400:
                raise FetchError(
                    "The profile data must be located at the URL specified. "
                    "Redirects are not supported by the index.",
                    redirect=True,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.stream(65536):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"The profile is larger than {MAX_BYTES} bytes.")
                if time.monotonic() - started > TOTAL_DEADLINE:
                    raise FetchError(f"The profile took more than {TOTAL_DEADLINE:.0f} seconds.")
                chunks.append(chunk)
            return Response(status=response.status, body=b"".join(chunks))
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}"[:300]) from exc
    except OSError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}"[:300]) from exc
    finally:
        pool.close()


_current: Fetcher = http_fetch


def current() -> Fetcher:
    return _current


@contextmanager
def use_fetcher(fetcher: Fetcher) -> Iterator[Fetcher]:
    """Fetch with `fetcher` inside the block (tests: a fake with no network)."""
    global _current
    before = _current
    _current = fetcher
    try:
        yield fetcher
    finally:
        _current = before
