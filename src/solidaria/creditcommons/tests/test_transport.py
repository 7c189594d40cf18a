"""The HTTP transport: an answer that is JSON but not an object is no usable answer; the
neighbour's address goes through the SSRF guard; every message has a fresh nonce."""

from __future__ import annotations

from typing import Any

import pytest

from solidaria.creditcommons import transport


class _Link:
    base_url = "http://127.0.0.1:9/cc/"
    secret = "a-shared-secret-of-the-link-0123"


class _Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def read(self) -> bytes:
        return self.body


class _Wire:
    """A connection that records what was sent and answers `status`, `body`."""

    def __init__(self, status: int, body: bytes) -> None:
        self.answer = _Answer(status, body)
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append({"method": method, "path": path, "body": body, "headers": headers})

    def getresponse(self) -> _Answer:
        return self.answer

    def close(self) -> None:
        pass


@pytest.fixture
def private_links(settings: Any) -> None:
    settings.SOLIDARIA = {**settings.SOLIDARIA, "CC_ALLOW_PRIVATE_LINKS": True}


def _wire(monkeypatch: pytest.MonkeyPatch, status: int, body: bytes) -> _Wire:
    wire = _Wire(status, body)
    monkeypatch.setattr(transport, "_connection", lambda target, timeout: wire)
    return wire


@pytest.mark.parametrize("body", [b"null", b"123", b"[1, 2]", b'"ab"', b"not json"])
def test_an_answer_that_is_not_a_json_object_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, private_links: None, body: bytes
) -> None:
    _wire(monkeypatch, 200, body)
    with pytest.raises(transport.Unreachable) as caught:
        transport.http_send(_Link(), "status", {"txid": "x"})  # type: ignore[arg-type]
    assert not isinstance(caught.value, transport.NotDelivered)


def test_every_message_carries_a_fresh_nonce_under_the_signature(
    monkeypatch: pytest.MonkeyPatch, private_links: None
) -> None:
    wire = _wire(monkeypatch, 200, b'{"state": "completed"}')
    for _ in range(2):
        assert transport.http_send(_Link(), "status", {"txid": "x"}) == {"state": "completed"}  # type: ignore[arg-type]
    first, second = (sent["headers"] for sent in wire.sent)
    assert wire.sent[0]["path"] == "/cc/status"
    assert first["X-CC-Nonce"] != second["X-CC-Nonce"] and len(first["X-CC-Nonce"]) == 32
    assert first["X-CC-Signature"] != second["X-CC-Signature"]


def test_a_refusal_and_a_server_error_are_told_apart(
    monkeypatch: pytest.MonkeyPatch, private_links: None
) -> None:
    _wire(monkeypatch, 409, b'{"reason": "replayed"}')
    with pytest.raises(transport.Refused, match="replayed"):
        transport.http_send(_Link(), "status", {"txid": "x"})  # type: ignore[arg-type]
    _wire(monkeypatch, 502, b"bad gateway")
    with pytest.raises(transport.Unreachable):
        transport.http_send(_Link(), "status", {"txid": "x"})  # type: ignore[arg-type]


def test_a_private_address_is_never_contacted_unless_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without `CC_ALLOW_PRIVATE_LINKS` a link to loopback is not reached: the message
    certainly never left (NotDelivered), and no connection was opened."""
    opened: list[Any] = []
    monkeypatch.setattr(transport, "_connection", lambda target, timeout: opened.append(target))
    with pytest.raises(transport.NotDelivered, match="private"):
        transport.http_send(_Link(), "status", {"txid": "x"})  # type: ignore[arg-type]
    assert opened == []


def test_a_refused_connection_is_not_delivered(private_links: None) -> None:
    with pytest.raises(transport.NotDelivered):
        transport.http_send(_Link(), "status", {"txid": "x"})  # type: ignore[arg-type]  # port 9
