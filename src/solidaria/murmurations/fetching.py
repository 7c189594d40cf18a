"""Fetch a profile URL for the index, safely: the index fetches URLs strangers post.

- http and https only; the URL as posted (at most 2,000 characters);
- the host is resolved once and every address must be public (no loopback, private,
  link-local, multicast or reserved address: no SSRF into the operator's network) unless
  `SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE` is on (tests, `make federation-test`); the
  connection goes to the address that was checked, so a second DNS answer cannot differ;
- no redirects (the protocol: "the profile data must be located at the URL specified");
- a connect and a read timeout, and a total wall-clock deadline (a server dripping one
  byte a second is cut off at it); at most 1 MB of body.

The guarded fetch itself is `core.netguard`, shared with federation's requests.

`current()` is the fetch function the index uses; tests swap it with `use_fetcher(fake)`
(a callable `url -> Response` that raises `FetchError`), so no test touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings

from solidaria.core import netguard

MAX_URL_LENGTH = 2000
MAX_BYTES = 1_000_000
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
TOTAL_DEADLINE = 20.0
USER_AGENT = "Solidaria-Murmurations-Index/1.0"

Response = netguard.Response
# The profile URL could not be read: `reason` says why, in one sentence.
FetchError = netguard.FetchError
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


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) after the SSRF checks; FetchError if refused."""
    problem = url_problem(url)
    if problem:
        raise FetchError(problem)
    target = netguard.resolve(url, allow_private=allow_private())
    return target.scheme, target.host, target.port, target.address


def http_fetch(url: str) -> Response:
    """GET `url` under the rules above."""
    problem = url_problem(url)
    if problem:
        raise FetchError(problem)
    response = netguard.fetch(
        "GET",
        url,
        allow_private=allow_private(),
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        deadline=TOTAL_DEADLINE,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_bytes=MAX_BYTES,
    )
    if 300 <= response.status < 400:
        raise FetchError(
            "The profile data must be located at the URL specified. "
            "Redirects are not supported by the index.",
            redirect=True,
        )
    return response


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
