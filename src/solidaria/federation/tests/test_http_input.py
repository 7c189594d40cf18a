"""Bad input from other machines is a FetchError or a counted error, never a crash:
a profile URL with a bad port or host, a server that answers garbage, an index whose
search answer has the wrong shape."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from solidaria.directory.factories import make_organisation
from solidaria.federation import aggregation, http, registration
from solidaria.federation.models import Registration
from solidaria.federation.tests.fakes import INDEX, FakeWeb, _json

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://other.example:99999/p.json",
        "http://" + "a" * 70 + ".example/p.json",
        "http://[::1/p.json",
    ],
)
def test_a_bad_profile_url_is_a_fetch_error(url: str, settings: Any, monkeypatch: Any) -> None:
    settings.SOLIDARIA = {**settings.SOLIDARIA, "MURMURATIONS_ALLOW_PRIVATE": ""}
    monkeypatch.delenv("SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE", raising=False)
    with pytest.raises(http.FetchError):
        http.fetch_profile(url)


def test_a_profile_fetch_connects_to_the_address_it_checked(
    settings: Any, monkeypatch: Any
) -> None:
    """DNS rebinding: the name answers a public address, then 127.0.0.1."""
    settings.SOLIDARIA = {**settings.SOLIDARIA, "MURMURATIONS_ALLOW_PRIVATE": ""}
    monkeypatch.delenv("SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE", raising=False)
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    connected: list[Any] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        connected.append(address)
        raise ConnectionRefusedError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(http.FetchError):
        http.fetch_profile("http://rebind.example/p.json")
    assert [address[0] for address in connected] == ["93.184.216.34"]


def test_a_garbage_answer_is_a_fetch_error() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        conn.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        with pytest.raises(http.FetchError):
            http.guarded_transport("GET", f"http://127.0.0.1:{port}/p.json", None, 5.0, 1000)
    finally:
        thread.join(5)
        server.close()


@pytest.mark.parametrize("body", [{"data": 5}, {"data": [], "meta": "x"}, {"data": "abc"}])
def test_a_search_answer_of_the_wrong_shape_is_an_error(web: FakeWeb, body: Any) -> None:
    sub = aggregation.subscribe(actor=aggregation.SYSTEM, index_url=INDEX, network_name="Other")

    def broken(method: str, url: str, *rest: Any) -> http.Response:
        return _json(200, body)

    old = http.use_transport(broken)
    try:
        counts = aggregation.run(sub)
    finally:
        http.use_transport(old)
    assert counts["created"] == 0


@pytest.mark.parametrize(
    ("post", "get"),
    [
        ({"data": "x"}, {"data": []}),
        ([1], {"data": "posted"}),
        (
            {"data": {"node_id": 7}},
            {"errors": [{"source": "x", "detail": "bad"}], "meta": {"node_id": "x"}},
        ),
    ],
)
def test_an_index_answer_of_the_wrong_shape_leaves_the_row_in_a_state(
    web: FakeWeb, post: Any, get: Any
) -> None:
    reg = registration.organisation_changed(make_organisation("Bakery", status="confirmed"))
    assert reg is not None

    def odd(method: str, url: str, *rest: Any) -> http.Response:
        if method == "POST":
            return _json(200, post)
        return _json(400 if "errors" in get else 200, get)

    old = http.use_transport(odd)
    try:
        reg = registration.step(Registration.objects.get(pk=reg.pk))
    finally:
        http.use_transport(old)
    assert reg.status in (Registration.Status.RECEIVED, Registration.Status.VALIDATION_FAILED)


@pytest.mark.parametrize("name", ["Bakery\x00Co-op", "Bakery \ud800", "Bakery"])
def test_a_profile_with_text_the_database_cannot_store_is_invalid(web: FakeWeb, name: str) -> None:
    web.sites["https://other.example/p/1.json"] = {
        "linked_schemas": ["organizations_schema-v1.0.0"],
        "name": "Bakery",
        "description": name,
    }
    web.publish("https://other.example/p/1.json", web.sites["https://other.example/p/1.json"])
    sub = aggregation.subscribe(actor=aggregation.SYSTEM, index_url=INDEX, network_name="Other")
    counts = aggregation.run(sub)
    assert counts["created"] + counts["invalid"] == 1
    assert counts["created"] == (1 if name == "Bakery" else 0)
