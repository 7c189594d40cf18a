"""The HTTP transport: an answer that is JSON but not an object is no usable answer."""

from __future__ import annotations

import io
import urllib.request
from typing import Any

import pytest

from solidaria.creditcommons import transport


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()


class _Link:
    base_url = "http://t.example/cc/"
    secret = "a-shared-secret-of-the-link-0123"


@pytest.mark.parametrize("body", [b"null", b"123", b"[1, 2]", b'"ab"', b"not json"])
def test_an_answer_that_is_not_a_json_object_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: _Response(body))
    with pytest.raises(transport.Unreachable):
        transport.http_send(_Link(), "status", {"txid": "x"})  # type: ignore[arg-type]
