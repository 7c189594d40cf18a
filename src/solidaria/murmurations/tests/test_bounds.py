"""What one caller of the index can cost: `POST /nodes-sync` fetches while the caller
waits, so a caller gets one such fetch at a time and a bounded number a minute; deleted
nodes are purged after the protocol's 14 days."""

from __future__ import annotations

from typing import Any

import pytest

from solidaria.murmurations import views

from .conftest import FakeWeb, IndexClient

URL = "https://coop.example.org/profiles/bakery.json"
PROFILE = {"linked_schemas": ["test_schema-v2.0.0"], "name": "Bakery co-op"}


def sync(index: IndexClient, url: str = URL, address: str = "203.0.113.5") -> Any:
    with index.capture(execute=True):
        return index.client.post(
            "/index/v2/nodes-sync",
            {"profile_url": url},
            content_type="application/json",
            REMOTE_ADDR=address,
        )


def test_nodes_sync_is_limited_per_caller(index: IndexClient, web: FakeWeb, settings: Any) -> None:
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "murmurations_sync": (3, 60)}
    web.serve(URL, PROFILE)
    assert [sync(index).status_code for _ in range(3)] == [200, 200, 200]

    refused = sync(index)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["title"] == "Too Many Requests"
    assert len(web.calls) == 3  # the refused call fetched nothing
    assert sync(index, address="198.51.100.7").status_code == 200  # another caller


def test_a_caller_gets_one_sync_fetch_at_a_time(index: IndexClient, web: FakeWeb) -> None:
    web.serve(URL, PROFILE)
    with views.sync_slot("203.0.113.5") as held:
        assert held
        busy = sync(index)
        assert sync(index, address="198.51.100.7").status_code == 200
    assert busy.status_code == 429
    assert "one at a time" in busy.json()["errors"][0]["detail"]
    assert len(web.calls) == 1
    assert sync(index).status_code == 200  # the slot is free again


def test_the_slot_is_freed_when_the_fetch_fails(index: IndexClient, web: FakeWeb) -> None:
    def broken(url: str) -> Any:
        raise RuntimeError("the fetch broke")

    from solidaria.murmurations import fetching

    with fetching.use_fetcher(broken), pytest.raises(RuntimeError):
        sync(index)
    with views.sync_slot("203.0.113.5") as held:
        assert held
