"""A fake web (no network) and the test schema library for the index tests."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from solidaria.core.paths import bundled_data_dir
from solidaria.murmurations import fetching, library

FIXTURES = Path(__file__).parent / "fixtures"
E2E_BASE = "https://ic3.dev/murmurations/e2e-tests/"


class FakeWeb:
    """Profile URLs and what they answer; IP-literal hosts go through the real SSRF guard."""

    def __init__(self) -> None:
        self.pages: dict[str, fetching.Response | fetching.FetchError] = {}
        self.calls: list[str] = []

    def serve(self, url: str, profile: Any, status: int = 200) -> None:
        body = profile if isinstance(profile, bytes) else json.dumps(profile).encode()
        self.pages[url] = fetching.Response(status=status, body=body)

    def fail(self, url: str, error: fetching.FetchError) -> None:
        self.pages[url] = error

    def remove(self, url: str) -> None:
        self.pages.pop(url, None)

    def __call__(self, url: str) -> fetching.Response:
        self.calls.append(url)
        host = urlsplit(url).hostname or ""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            fetching.resolve(url)  # a literal address: no DNS, the real private-address check
        page = self.pages.get(url)
        if isinstance(page, fetching.FetchError):
            raise page
        return page or fetching.Response(status=404, body=b"Not Found")


@pytest.fixture(autouse=True)
def _no_throttle_left_over() -> Iterator[None]:
    """The nodes-sync throttle and slots live in the cache: each test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    fake = FakeWeb()
    test_library = library.Library([FIXTURES, bundled_data_dir() / "murmurations"])
    with fetching.use_fetcher(fake), library.use_library(test_library):
        yield fake


class IndexClient:
    """Calls /index/v2/... running the after-commit task queue (immediate backend) inline."""

    def __init__(self, capture: Callable[..., Any]) -> None:
        self.client = Client()
        self.capture = capture

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        with self.capture(execute=True):
            response = self.client.generic(
                method, f"/index/v2{path}", data, content_type="application/json"
            )
        return response

    def post_node(self, profile_url: str) -> Any:
        return self.call("POST", "/nodes", {"profile_url": profile_url})

    def get(self, path: str) -> Any:
        return self.call("GET", path)


@pytest.fixture
def index(db: None, web: FakeWeb, django_capture_on_commit_callbacks: Any) -> IndexClient:
    return IndexClient(django_capture_on_commit_callbacks)


def e2e_profile(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "e2e" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def e2e_web(web: FakeWeb) -> FakeWeb:
    """The fake web serving the e2e suite's profiles at their ic3.dev URLs."""
    for path in sorted((FIXTURES / "e2e").glob("*.json")):
        web.serve(f"{E2E_BASE}{path.name}", path.read_bytes())
    return web
