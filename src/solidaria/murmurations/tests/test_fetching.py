"""The real fetcher against a loopback HTTP server: private addresses, redirects, size cap."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings

from solidaria.murmurations import fetching


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.path == "/profile.json":
            body = json.dumps({"linked_schemas": ["x"], "host": self.headers["Host"]}).encode()
            self.send_response(200)
        elif self.path == "/moved.json":
            self.send_response(302)
            self.send_header("Location", "/profile.json")
            body = b""
        elif self.path == "/huge.json":
            body = b" " * (fetching.MAX_BYTES + 10)
            self.send_response(200)
        else:
            body = b"gone"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.SOLIDARIA, "MURMURATIONS_ALLOW_PRIVATE", True)


def test_loopback_is_refused_by_default(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.SOLIDARIA, "MURMURATIONS_ALLOW_PRIVATE", False)
    with pytest.raises(fetching.FetchError, match="private, loopback or reserved"):
        fetching.http_fetch(f"{server}/profile.json")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.255.255.1/p.json",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/p.json",
        "http://0.0.0.0/p.json",
        "http://[::ffff:127.0.0.1]/p.json",
    ],
)
def test_private_and_reserved_addresses_are_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(settings.SOLIDARIA, "MURMURATIONS_ALLOW_PRIVATE", False)
    with pytest.raises(fetching.FetchError):
        fetching.resolve(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://x.example/p.json", "Only http and https"),
        ("http:///p.json", "no host"),
        ("http://x.example:99999/", "cannot be parsed"),
        ("http://x.example/a b", "spaces or control"),
        ("http://x.example/" + "a" * 2000, "longer than"),
    ],
)
def test_url_problems(url: str, problem: str) -> None:
    assert problem in fetching.url_problem(url)


def test_a_profile_is_fetched_with_its_host_header(server: str, allow_private: None) -> None:
    response = fetching.http_fetch(f"{server}/profile.json")
    assert response.status == 200
    assert json.loads(response.body)["host"] == server.removeprefix("http://")


def test_redirects_are_refused(server: str, allow_private: None) -> None:
    with pytest.raises(fetching.FetchError) as caught:
        fetching.http_fetch(f"{server}/moved.json")
    assert caught.value.redirect


def test_a_body_over_the_cap_is_refused(server: str, allow_private: None) -> None:
    with pytest.raises(fetching.FetchError, match="larger than"):
        fetching.http_fetch(f"{server}/huge.json")


def test_a_missing_profile_is_a_404_response(server: str, allow_private: None) -> None:
    assert fetching.http_fetch(f"{server}/nothing.json").status == 404


def test_a_closed_port_is_a_fetch_error(allow_private: None) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(fetching.FetchError):
        fetching.http_fetch(f"http://127.0.0.1:{port}/p.json")


def test_a_slow_drip_profile_is_cut_off_at_the_total_deadline(
    allow_private: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte every 0.1 s keeps every read under the read timeout: only the total
    deadline ends the fetch."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            try:
                for _ in range(40):
                    conn.sendall(b" ")
                    time.sleep(0.1)
            except OSError:
                pass

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    monkeypatch.setattr(fetching, "TOTAL_DEADLINE", 1.0)
    monkeypatch.setattr(fetching, "READ_TIMEOUT", 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(fetching.FetchError, match="took more than"):
            fetching.http_fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/p.json")
    finally:
        listener.close()
    assert time.monotonic() - started < 1.5
