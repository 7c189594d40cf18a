"""The index's rules: node ids, status transitions, unchanged profiles, delete, search."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidaria.murmurations import fetching, services
from solidaria.murmurations.models import Node, NodeTag
from solidaria.murmurations.services import distance, node_id_for

from .conftest import FakeWeb, IndexClient

URL = "https://coop.example.org/profiles/bakery.json"


def profile(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "linked_schemas": ["test_schema-v2.0.0"],
        "name": "Bakery co-op",
        "primary_url": "https://bakery.example.org",
        "locality": "Bristol",
        "country_iso_3166": "GB",
        "latitude": 51.4545,
        "longitude": -2.5879,
        "tags": ["bread", "bakery"],
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """services.now_ms ticks one second per call, so updates are visible."""
    ticks = [1_700_000_000_000]

    def now() -> int:
        ticks[0] += 1000
        return ticks[0]

    monkeypatch.setattr(services, "now_ms", now)
    return ticks


def test_the_node_id_is_the_sha256_of_the_profile_url(index: IndexClient, web: FakeWeb) -> None:
    web.serve(URL, profile())
    response = index.post_node(URL)
    assert response.status_code == 200
    assert response.json() == {"data": {"node_id": hashlib.sha256(URL.encode()).hexdigest()}}
    # the e2e suite's own pair
    assert (
        node_id_for("https://ic3.dev/murmurations/e2e-tests/valid-profile.json")
        == "c561d41741b67ae991f0653805c64de02d6d9cf153ec3d5f4503992f09008996"
    )


def test_a_node_is_received_then_validated_then_posted(
    db: None, web: FakeWeb, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client

    web.serve(URL, profile())
    seen: list[str] = []
    real_index = services._index

    def spy(node: Node, data: Any) -> None:
        seen.append(Node.objects.get(pk=node.pk).status)
        real_index(node, data)

    monkeypatch.setattr(services, "_index", spy)
    client = Client()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/index/v2/nodes", {"profile_url": URL}, content_type="application/json")
    node_id = node_id_for(URL)
    received = client.get(f"/index/v2/nodes/{node_id}").json()
    assert received == {"data": {"node_id": node_id, "profile_url": URL, "status": "received"}}
    assert web.calls == []  # nothing fetched before the commit
    for callback in callbacks:
        callback()
    assert seen == ["validated"]
    data = client.get(f"/index/v2/nodes/{node_id}").json()["data"]
    assert data["status"] == "posted"
    assert isinstance(data["last_updated"], int) and len(data["profile_hash"]) == 64
    assert web.calls == [URL]


def test_an_unchanged_profile_keeps_last_updated_and_a_changed_one_updates_it(
    index: IndexClient, web: FakeWeb, clock: list[int]
) -> None:
    web.serve(URL, profile())
    node_id = index.post_node(URL).json()["data"]["node_id"]
    first = index.get(f"/nodes/{node_id}").json()["data"]
    # the same profile, keys in another order: same content, same hash
    web.serve(URL, dict(reversed(list(profile().items()))))
    index.post_node(URL)
    again = index.get(f"/nodes/{node_id}").json()["data"]
    assert again["status"] == "posted"
    assert again["last_updated"] == first["last_updated"]
    assert again["profile_hash"] == first["profile_hash"]
    web.serve(URL, profile(name="Bakery co-operative"))
    index.post_node(URL)
    changed = index.get(f"/nodes/{node_id}").json()["data"]
    assert changed["last_updated"] > first["last_updated"]
    assert changed["profile_hash"] != first["profile_hash"]
    assert Node.objects.get(node_id=node_id).name == "Bakery co-operative"


@pytest.mark.parametrize(
    ("served", "status", "title"),
    [
        (None, 404, "Profile Not Found"),
        (b"{not json", 404, "Profile Not Found"),
        (profile(linked_schemas=["no_such_schema-v9.9.9"]), 404, "Error loading schema"),
        (profile(latitude=95), 400, "Invalid Amount"),
        (profile(name=None), 400, "Missing Required Property"),
        (["a", "list"], 400, "JSON Error"),
    ],
)
def test_a_profile_that_cannot_be_read_or_validated_fails_with_its_reasons(
    index: IndexClient, web: FakeWeb, served: Any, status: int, title: str
) -> None:
    if served is not None:
        web.serve(URL, served)
    node_id = index.post_node(URL).json()["data"]["node_id"]
    response = index.get(f"/nodes/{node_id}")
    assert response.status_code == status
    body = response.json()
    assert body["meta"] == {"node_id": node_id, "profile_url": URL, "status": "validation_failed"}
    assert body["errors"][0]["title"] == title
    assert Node.objects.get(node_id=node_id).status == "validation_failed"
    if title == "Error loading schema":
        assert "no_such_schema-v9.9.9" in body["errors"][0]["detail"]


def test_fetch_failures_are_reasons_too(index: IndexClient, web: FakeWeb) -> None:
    web.fail(URL, fetching.FetchError("Timed out.", redirect=False))
    node_id = index.post_node(URL).json()["data"]["node_id"]
    error = index.get(f"/nodes/{node_id}").json()["errors"][0]
    assert error["title"] == "HTTP Request Failed"
    assert error["detail"] == f"Error making HTTP request to {URL}: Timed out."
    web.fail(URL, fetching.FetchError("moved", redirect=True))
    index.post_node(URL)
    assert index.get(f"/nodes/{node_id}").json()["errors"][0]["title"] == "No Redirects"
    # a private address is refused by the real guard, without any connection
    private = "http://192.168.1.20/profile.json"
    private_id = index.post_node(private).json()["data"]["node_id"]
    detail = index.get(f"/nodes/{private_id}").json()["errors"][0]["detail"]
    assert "private, loopback or reserved address" in detail


def test_a_failed_repost_hides_a_posted_node_from_search(index: IndexClient, web: FakeWeb) -> None:
    web.serve(URL, profile())
    index.post_node(URL)
    assert index.get("/nodes").json()["meta"]["number_of_results"] == 1
    web.serve(URL, profile(latitude="north"))
    index.post_node(URL)
    assert index.get("/nodes").json()["data"] == []


def test_delete_succeeds_only_once_the_profile_is_gone(
    index: IndexClient, web: FakeWeb, clock: list[int]
) -> None:
    web.serve(URL, profile())
    node_id = index.post_node(URL).json()["data"]["node_id"]
    posted_at = index.get(f"/nodes/{node_id}").json()["data"]["last_updated"]
    still = index.call("DELETE", f"/nodes/{node_id}")
    assert still.status_code == 400
    assert still.json()["errors"][0]["title"] == "Profile Still Exists"
    assert still.json()["meta"] == {"node_id": node_id, "profile_url": URL}
    web.serve(URL, b"oops", status=500)
    broken = index.call("DELETE", f"/nodes/{node_id}")
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["title"] == "HTTP Request Failed"
    web.serve(URL, b"", status=410)
    gone = index.call("DELETE", f"/nodes/{node_id}")
    assert gone.status_code == 200
    assert "has recorded as deleted" in gone.json()["meta"]["message"]
    data = index.get(f"/nodes/{node_id}").json()["data"]
    assert data["status"] == "deleted" and data["last_updated"] > posted_at
    # aggregators see the deletion; the default search does not list it
    assert index.get("/nodes").json()["data"] == []
    deleted = index.get("/nodes?status=deleted").json()["data"]
    assert [d["profile_url"] for d in deleted] == [URL]
    assert index.call("DELETE", f"/nodes/{node_id}").status_code == 200  # idempotent
    # posting it again once it is back: posted, with a new last_updated
    web.serve(URL, profile())
    index.post_node(URL)
    back = index.get(f"/nodes/{node_id}").json()["data"]
    assert back["status"] == "posted" and back["last_updated"] > data["last_updated"]


def test_deleting_a_never_posted_node_forgets_it(index: IndexClient, web: FakeWeb) -> None:
    node_id = index.post_node(URL).json()["data"]["node_id"]  # 404: validation_failed
    assert index.call("DELETE", f"/nodes/{node_id}").status_code == 200
    missing = index.get(f"/nodes/{node_id}")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["detail"] == (
        f"Could not locate the following node_id in the Index: {node_id}"
    )
    assert not Node.objects.exists()


def test_unknown_node_ids_are_404(index: IndexClient) -> None:
    for node_id in ("999999", "a" * 64, "x" * 500):
        for method in ("GET", "DELETE"):
            response = index.call(method, f"/nodes/{node_id}")
            assert response.status_code == 404
            assert response.json()["errors"][0]["title"] == "Node Not Found"


# ---------------------------------------------------------------- search


@pytest.fixture
def world(index: IndexClient, web: FakeWeb, clock: list[int]) -> IndexClient:
    rows = {
        "bristol": profile(),
        "bath": profile(
            name="Bath brewers",
            locality="Bath",
            latitude=51.3811,
            longitude=-2.359,
            tags=["Beer", "brewing"],
            linked_schemas=["test_schema-v2.1.0"],
            primary_url="https://www.bath-brewers.example/",
        ),
        "lyon": profile(
            name="Lyon cantine",
            locality="Lyon",
            region="Auvergne-Rhône-Alpes",
            country_iso_3166="FR",
            latitude=45.764,
            longitude=4.8357,
            tags=["food", "beer"],
        ),
        "nowhere": profile(
            name="Online only",
            locality=None,
            country_iso_3166=None,
            latitude=None,
            longitude=None,
            tags=["software"],
            linked_schemas=["test_schema-v1.0.0"],
            geolocation={"lat": 0.0, "lon": 0.0},
        ),
    }
    for key, data in rows.items():
        web.serve(f"https://{key}.example/profile.json", data)
        assert index.post_node(f"https://{key}.example/profile.json").status_code == 200
    assert Node.objects.filter(status="posted").count() == 4
    return index


def names(index: IndexClient, query: str) -> list[str]:
    response = index.get(f"/nodes?{query}")
    assert response.status_code == 200, response.content
    return sorted(item.get("name", "") for item in response.json()["data"])


def test_search_filters(world: IndexClient) -> None:
    assert names(world, "") == ["Bakery co-op", "Bath brewers", "Lyon cantine", "Online only"]
    assert names(world, "country=fr") == ["Lyon cantine"]
    assert names(world, "locality=bristl") == ["Bakery co-op"]  # fuzzy, case-insensitive
    assert names(world, "locality=BATH") == ["Bath brewers"]
    assert names(world, "region=auvergne-rhone-alpes") == ["Lyon cantine"]  # ô≈o: one edit
    assert names(world, "name=brew") == ["Bath brewers"]
    assert names(world, "primary_url=bath-brewers.example") == ["Bath brewers"]
    assert names(world, "schema=test_schema-v2") == ["Bakery co-op", "Bath brewers", "Lyon cantine"]
    assert names(world, "schema=TEST_SCHEMA-v2.1") == ["Bath brewers"]
    assert names(world, "schema=test_schema-v1.0.0") == ["Online only"]


def test_tag_search_exact_fuzzy_and_or(world: IndexClient) -> None:
    assert names(world, "tags=beer&tags_exact=true") == ["Bath brewers", "Lyon cantine"]
    assert names(world, "tags=bee&tags_exact=true") == []
    assert names(world, "tags=beez") == ["Bath brewers", "Lyon cantine"]
    assert names(world, "tags=bread,software") == ["Bakery co-op", "Online only"]
    assert names(world, "tags=beer,food&tags_filter=and") == ["Lyon cantine"]
    assert names(world, "tags=beer,bread&tags_filter=and") == []
    assert names(world, "tags=sofware") == ["Online only"]  # one letter missing


def test_geographic_search(world: IndexClient) -> None:
    # Bristol to Bath is about 18 km
    assert names(world, "lat=51.4545&lon=-2.5879&range=10km") == ["Bakery co-op"]
    assert names(world, "lat=51.4545&lon=-2.5879&range=20km") == ["Bakery co-op", "Bath brewers"]
    assert names(world, "lat=51.4545&lon=-2.5879&range=12mi") == ["Bakery co-op", "Bath brewers"]
    # Bristol to Lyon is about 835 km
    assert "Lyon cantine" not in names(world, "lat=51.4545&lon=-2.5879&range=830km")
    assert "Lyon cantine" in names(world, "lat=51.4545&lon=-2.5879&range=840km")
    assert names(world, "lat=0&lon=0&range=1km") == ["Online only"]  # from its geolocation


def test_last_updated_and_status_filters(world: IndexClient, clock: list[int]) -> None:
    nodes = {n.name: n for n in Node.objects.all()}
    since = nodes["Lyon cantine"].last_updated // 1000
    assert names(world, f"last_updated={since}") == ["Lyon cantine", "Online only"]
    assert names(world, "status=deleted") == []
    assert world.get("/nodes?status=received").status_code == 400


def test_paging_meta_and_links(world: IndexClient) -> None:
    first = world.get("/nodes?page_size=3&country=GB").json()
    assert first["meta"] == {"number_of_results": 2, "total_pages": 1}
    page1 = world.get("/nodes?page_size=3").json()
    assert len(page1["data"]) == 3
    assert page1["meta"] == {"number_of_results": 4, "total_pages": 2}
    links = page1["links"]
    assert links["self"].endswith("/index/v2/nodes?page_size=3&page=1")
    assert links["next"].endswith("page_size=3&page=2") and "prev" not in links
    assert links["last"].endswith("page=2") and links["first"].endswith("page=1")
    page2 = world.get("/nodes?page_size=3&page=2").json()
    assert len(page2["data"]) == 1 and page2["links"]["prev"].endswith("page=1")
    seen = [d["profile_url"] for d in page1["data"] + page2["data"]]
    assert len(set(seen)) == 4
    # newest first
    stamps = [d["last_updated"] for d in page1["data"] + page2["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert world.get("/nodes?page=9").json()["data"] == []


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("page_size=501", "Invalid Query Parameter"),
        ("page_size=0", "Invalid Query Parameter"),
        ("page=abc", "Invalid Query Parameter"),
        ("page=100&page_size=500", "Max Results Exceeded"),
        ("lat=51&lon=0", "Invalid Query Parameter"),
        ("lat=91&lon=0&range=1km", "Invalid Query Parameter"),
        ("lat=51&lon=0&range=far", "Invalid Query Parameter"),
        ("lat=51&lon=0&range=99999km", "Invalid Query Parameter"),
        ("tags=" + ",".join(f"t{i}" for i in range(101)), "Invalid Query Parameter"),
        ("tags=" + "x" * 101, "Invalid Query Parameter"),
        ("tags_filter=xor", "Invalid Query Parameter"),
        ("tags_exact=maybe", "Invalid Query Parameter"),
        ("last_updated=-5", "Invalid Query Parameter"),
        ("bogus=1", "Invalid Query Parameter"),
    ],
)
def test_bad_search_parameters_are_400_with_a_reason(
    index: IndexClient, query: str, title: str
) -> None:
    response = index.get(f"/nodes?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["title"] == title


def test_tags_are_indexed_lower_case_once(world: IndexClient) -> None:
    assert sorted(
        NodeTag.objects.filter(node__name="Bath brewers").values_list("tag", flat=True)
    ) == ["beer", "brewing"]


@given(st.text(max_size=8), st.text(max_size=8))
def test_edit_distance_is_a_symmetric_metric(a: str, b: str) -> None:
    limit = 10
    assert distance(a, a, limit) == 0
    assert distance(a, b, limit) == distance(b, a, limit)
    assert distance(a, b, limit) <= max(len(a), len(b))
    assert (distance(a, b, limit) == 0) == (a == b)


def test_edit_distance_examples() -> None:
    assert distance("londn", "london", 2) == 1
    assert distance("fruit", "friuts", 2) == 2  # a swap and an insertion
    assert distance("beez", "bees", 1) == 1
    assert distance("beer", "wine", 1) == 2  # capped at limit + 1


# ---------------------------------------------------------------- validate and the steward page


def test_validate_does_not_store(index: IndexClient) -> None:
    ok = index.call("POST", "/validate", profile())
    assert ok.status_code == 200
    assert ok.json() == {"meta": {"message": services.VALIDATED_MESSAGE}}
    bad = index.call("POST", "/validate", profile(country_iso_3166="XX", tags=[]))
    assert bad.status_code == 400
    titles = {(e["source"]["pointer"], e["title"]) for e in bad.json()["errors"]}
    assert ("/country_iso_3166", "Invalid Value") in titles
    assert ("/tags", "Not Enough Items") in titles
    assert not Node.objects.exists()


def test_the_steward_page_lists_nodes_with_status_and_reasons(
    index: IndexClient, web: FakeWeb, steward_client: Any, member_client: Any
) -> None:
    web.serve(URL, profile())
    index.post_node(URL)
    index.post_node("https://missing.example/profile.json")
    page = steward_client.get("/index/nodes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bakery co-op" in html and "Profile Not Found" in html
    assert "validation failed" in html and "posted" in html
    failed_only = steward_client.get("/index/nodes/?status=validation_failed").content.decode()
    assert "Bakery co-op" not in failed_only and "missing.example" in failed_only
    assert member_client.get("/index/nodes/").status_code == 403


def test_processing_a_node_deleted_meanwhile_is_a_no_op(db: None, web: FakeWeb) -> None:
    assert services.process("0" * 64) == "missing"
