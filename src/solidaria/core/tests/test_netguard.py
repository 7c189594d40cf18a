"""The guarded outbound fetch against local servers: the address checked is the address
connected to (DNS rebinding), a total deadline a slow-drip server cannot stretch, the
size cap, and the refusal of private addresses."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from solidaria.core import netguard

Serve = Callable[[socket.socket], None]


@pytest.fixture
def serve() -> Iterator[Callable[[Serve], str]]:
    """Start a loopback server answering each connection with `handler`; its base URL."""
    stop = threading.Event()
    listeners: list[socket.socket] = []

    def start(handler: Serve) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.1)
        listeners.append(listener)

        def loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                conn.settimeout(5)
                threading.Thread(target=_answer, args=(conn, handler), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    def _answer(conn: socket.socket, handler: Serve) -> None:
        try:
            conn.recv(65536)
            handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def drip(prefix: bytes, *, every: float = 0.2, seconds: float = 4.0) -> Serve:
    """Send `prefix`, then one byte every `every` seconds for `seconds`."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(prefix)
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            conn.sendall(b"x")
            time.sleep(every)

    return handler


def answer(body: bytes, status: str = "200 OK", headers: str = "") -> Serve:
    def handler(conn: socket.socket) -> None:
        head = f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    return handler


def test_an_answer_is_read_with_its_status(serve: Callable[[Serve], str]) -> None:
    url = serve(answer(b'{"ok": true}', "404 Not Found"))
    response = netguard.fetch("GET", f"{url}/p.json", allow_private=True)
    assert (response.status, response.body) == (404, b'{"ok": true}')


@pytest.mark.parametrize(
    "prefix",
    [b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"HTTP/1.1 200 OK\r\nX-Slow: "],
    ids=["body", "headers"],
)
def test_a_slow_drip_is_cut_off_at_the_deadline(
    serve: Callable[[Serve], str], prefix: bytes
) -> None:
    url = serve(drip(prefix))
    started = time.monotonic()
    with pytest.raises(netguard.FetchError, match="took more than 1 seconds"):
        netguard.fetch("GET", url, allow_private=True, deadline=1.0, read_timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_a_silent_server_is_a_read_timeout(serve: Callable[[Serve], str]) -> None:
    url = serve(lambda conn: time.sleep(2))
    with pytest.raises(netguard.FetchError, match="sent nothing for 0.3 seconds"):
        netguard.fetch("GET", url, allow_private=True, deadline=1.0, read_timeout=0.3)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",  # no length: read until close
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n",
    ],
)
def test_a_body_over_the_cap_is_refused(serve: Callable[[Serve], str], head: bytes) -> None:
    url = serve(lambda conn: conn.sendall(head + b"y" * 2000))
    with pytest.raises(netguard.FetchError, match="larger than 1000 bytes"):
        netguard.fetch("GET", url, allow_private=True, max_bytes=1000)


def test_redirects_are_answers_not_followed(serve: Callable[[Serve], str]) -> None:
    url = serve(answer(b"", "302 Found", "Location: http://10.0.0.1/\r\n"))
    assert netguard.fetch("GET", url, allow_private=True).status == 302


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch: Any) -> None:
    """DNS rebinding: the name answers a public address, then 127.0.0.1."""
    answers = iter(["93.184.216.34", "127.0.0.1"])
    looked_up: list[str] = []
    connected: list[tuple[str, int]] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        connected.append(address)
        raise ConnectionRefusedError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(netguard.FetchError):
        netguard.fetch("GET", "http://rebind.example/p.json", allow_private=False)
    assert looked_up == ["rebind.example"]
    assert connected == [("93.184.216.34", 80)]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/p.json",
        "http://10.255.255.1/p.json",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/p.json",
        "http://0.0.0.0/p.json",
        "http://[::ffff:127.0.0.1]/p.json",
        "http://224.0.0.1/p.json",
        "http://[::]/p.json",
        "http://[fe80::1]/p.json",
        "http://100.64.0.1/p.json",
        "http://[ff02::1]/p.json",
        # IPv6 forms that carry a private IPv4 address to a gateway that translates it
        "http://[64:ff9b::a9fe:a9fe]/p.json",  # NAT64: 169.254.169.254
        "http://[64:ff9b::7f00:1]/p.json",  # NAT64: 127.0.0.1
        "http://[64:ff9b:1::a00:1]/p.json",  # local-use NAT64 prefix
        "http://[2002:a9fe:a9fe::1]/p.json",  # 6to4: 169.254.169.254
        "http://[::7f00:1]/p.json",  # IPv4-compatible (deprecated)
        "http://[::ffff:0:a00:1]/p.json",  # IPv4-translated (SIIT): 10.0.0.1
        "http://[fec0::1]/p.json",  # site-local (deprecated)
    ],
)
def test_private_and_reserved_addresses_are_refused(url: str) -> None:
    with pytest.raises(netguard.UnsafeURL, match="private, loopback or reserved"):
        netguard.check_url(url, allow_private=False)
    netguard.check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["ftp://x.example/p", "http:///p.json", "http://x.example:99999/", "http://x:0/"]
)
def test_urls_that_are_not_http_with_a_host_are_refused(url: str) -> None:
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.216.34/p.json",
        "https://[2606:4700::1111]/p.json",
        "https://[64:ff9b::5db8:d822]/p.json",  # NAT64 of 93.184.216.34 (IPv6-only hosts)
        "https://[2002:5db8:d822::1]/p.json",  # 6to4 of 93.184.216.34
    ],
)
def test_a_public_address_passes_the_check(url: str) -> None:
    netguard.check_url(url, allow_private=False)


def test_each_checked_address_is_tried_in_turn(
    serve: Callable[[Serve], str], monkeypatch: Any
) -> None:
    url = serve(answer(b"{}"))
    port = int(url.rsplit(":", 1)[1])

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in ("127.0.0.2", "127.0.0.1")  # nothing listens on the first
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    response = netguard.fetch("GET", f"http://two.example:{port}/", allow_private=True)
    assert response.status == 200


def test_a_failed_connection_says_which_host(monkeypatch: Any) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(netguard.FetchError) as caught:
        netguard.fetch("GET", "https://index.example/nodes", allow_private=False)
    assert "index.example" in caught.value.reason
    assert "Connection refused" in caught.value.reason
