"""What one caller of the index can cost: `POST /nodes-sync` fetches while the caller
waits, so a caller gets one such fetch at a time and a bounded number a minute; deleted
nodes are purged after the protocol's 14 days."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from solidaria.murmurations import retention, services, tasks, views
from solidaria.murmurations.models import Node, NodeTag

from .conftest import FakeWeb, IndexClient

URL = "https://coop.example.org/profiles/bakery.json"
PROFILE = {"linked_schemas": ["test_schema-v2.0.0"], "name": "Bakery co-op", "tags": ["bread"]}


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


DAY_MS = 24 * 3600 * 1000


def test_a_deleted_node_is_purged_14_days_after_its_deletion(
    index: IndexClient, web: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_700_000_000_000]
    monkeypatch.setattr(services, "now_ms", lambda: now[0])
    web.serve(URL, PROFILE)
    node_id = index.post_node(URL).json()["data"]["node_id"]
    web.serve(URL, b"", status=410)
    assert index.call("DELETE", f"/nodes/{node_id}").status_code == 200
    deleted_at = now[0]

    now[0] = deleted_at + 14 * DAY_MS  # exactly 14 days: kept
    assert retention.purge_deleted() == 0
    assert index.get(f"/nodes/{node_id}").json()["data"]["status"] == "deleted"

    now[0] += 1
    assert retention.purge_deleted() == 1
    assert index.get(f"/nodes/{node_id}").status_code == 404
    assert index.get("/nodes?status=deleted").json()["data"] == []
    assert not NodeTag.objects.exists()


def test_only_deleted_nodes_are_purged(index: IndexClient, web: FakeWeb) -> None:
    old = services.now_ms() - 30 * DAY_MS
    for status in Node.Status.values:
        Node.objects.create(
            node_id=f"{status:0<64}"[:64], profile_url=f"https://x.example/{status}", status=status
        )
    Node.objects.update(last_updated=old, was_posted=True)

    assert retention.purge_deleted() == 1

    assert sorted(Node.objects.values_list("status", flat=True)) == sorted(
        s for s in Node.Status.values if s != "deleted"
    )


def test_the_purge_runs_as_a_task_and_from_the_cli(db: None, monkeypatch: Any) -> None:
    Node.objects.create(
        node_id="a" * 64,
        profile_url="https://x.example/a",
        status="deleted",
        was_posted=True,
        last_updated=services.now_ms() - 15 * DAY_MS,
    )
    out = StringIO()
    call_command("murmurations", "purge-deleted", stdout=out)
    assert out.getvalue().strip() == "removed 1 node(s) deleted more than 14 days ago"
    assert not Node.objects.exists()
    assert tasks.purge_deleted_nodes.enqueue().return_value == 0


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(
    index: IndexClient, web: FakeWeb, settings: Any
) -> None:
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "murmurations_sync": (2, 60)}
    web.serve(URL, PROFILE)

    def sync_via(forwarded: str) -> int:
        with index.capture(execute=True):
            return int(
                index.client.post(
                    "/index/v2/nodes-sync",
                    {"profile_url": URL},
                    content_type="application/json",
                    REMOTE_ADDR="203.0.113.5",
                    HTTP_X_FORWARDED_FOR=forwarded,
                ).status_code
            )

    settings.SOLIDARIA_TRUSTED_PROXIES = 0  # no proxy: the header is the caller's word
    assert [sync_via(f"192.0.2.{n}") for n in range(3)] == [200, 200, 429]

    settings.SOLIDARIA_TRUSTED_PROXIES = 1  # behind one proxy: the address it appended
    assert [sync_via(f"192.0.2.{n}, 198.51.100.9") for n in range(3)] == [200, 200, 429]


def post(index: IndexClient, address: str = "203.0.113.5") -> Any:
    return index.client.post(
        "/index/v2/nodes",
        {"profile_url": URL},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_nodes_is_limited_like_nodes_sync_when_the_fetch_runs_in_the_request(
    index: IndexClient, web: FakeWeb, settings: Any
) -> None:
    # the immediate task backend (the default) fetches inside POST /nodes: no way around the limit
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "murmurations_sync": (2, 60)}
    web.serve(URL, PROFILE)
    assert views._fetches_in_request()
    assert [post(index).status_code for _ in range(2)] == [200, 200]
    refused = post(index)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    with views.sync_slot("198.51.100.7"):
        assert post(index, address="198.51.100.7").status_code == 429  # one at a time


def test_nodes_is_not_limited_when_a_worker_fetches(
    index: IndexClient, web: FakeWeb, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "murmurations_sync": (1, 60)}
    monkeypatch.setattr(views, "_fetches_in_request", lambda: False)
    with index.capture():
        assert [post(index).status_code for _ in range(3)] == [200, 200, 200]
