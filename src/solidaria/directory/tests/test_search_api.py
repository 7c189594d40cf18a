"""Search, facets, bbox, pagination, and the API's 422/404/403 paths per role."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from solidaria.core.models import AuditEvent
from solidaria.directory.models import Organisation
from solidaria.directory.search import SearchParams, parse_bbox, search

pytestmark = pytest.mark.usefixtures("taxonomies")
API = "/api/directory/organisations"


@pytest.fixture
def sample(make_org: Callable[..., Organisation]) -> dict[str, Organisation]:
    return {
        "bakery": make_org(
            "Riverside Bakery Co-op",
            description="Sourdough bread",
            country="GB",
            latitude=51.5,
            longitude=-0.1,
            ica_activity="ICA260",
            structure="OS130",
            locality="London",
        ),
        "bank": make_org(
            "Savings Credit Union",
            country="GB",
            latitude=53.4,
            longitude=-2.2,
            ica_activity="ICA140",
            structure="OS130",
        ),
        "berlin": make_org(
            "Bäckerei Genossenschaft",
            country="DE",
            latitude=52.5,
            longitude=13.4,
            ica_activity="ICA260",
            structure="OS50",
        ),
        "hidden": make_org("Secret Bakery", status=Organisation.Status.PROPOSED, country="GB"),
    }


def test_text_search_matches_prefixes_and_ignores_unconfirmed(
    sample: dict[str, Organisation],
) -> None:
    result = search(SearchParams(q="bak"))
    assert [o.name for o in result.results] == ["Riverside Bakery Co-op"]
    assert [o.name for o in search(SearchParams(q="sourdough")).results] == [
        "Riverside Bakery Co-op"
    ]
    # diacritics are folded on SQLite and kept on PostgreSQL: both find the exact word
    assert [o.name for o in search(SearchParams(q="Bäckerei")).results] == [
        "Bäckerei Genossenschaft"
    ]


def test_bbox_filters_and_facets_count(sample: dict[str, Organisation]) -> None:
    result = search(SearchParams(bbox=parse_bbox("-5,50,0,55")))
    assert sorted(o.name for o in result.results) == [
        "Riverside Bakery Co-op",
        "Savings Credit Union",
    ]
    everything = search(SearchParams())
    assert everything.total == 3
    assert [(f.code, f.count) for f in everything.facets["country"]] == [("GB", 2), ("DE", 1)]
    assert [(f.code, f.count) for f in everything.facets["activity"]] == [
        ("ICA260", 2),
        ("ICA140", 1),
    ]
    assert [(f.code, f.count) for f in everything.facets["structure"]] == [
        ("OS130", 2),
        ("OS50", 1),
    ]
    assert everything.facets["country"][0].label == "United Kingdom"


def test_pagination(make_org: Callable[..., Organisation]) -> None:
    for i in range(25):
        make_org(f"Org {i:02d}")
    page2 = search(SearchParams(page=2))
    assert (page2.total, page2.pages, [o.name for o in page2.results]) == (
        25,
        2,
        ["Org 20", "Org 21", "Org 22", "Org 23", "Org 24"],
    )


def test_api_search_with_filters(sample: dict[str, Organisation], client: Client) -> None:
    response = client.get(API, {"q": "bakery", "country": "gb", "activity": "ICA260"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == "Riverside Bakery Co-op"
    assert body["facets"]["country"] == [{"code": "GB", "label": "United Kingdom", "count": 1}]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,0,5,5", "-200,0,0,10", "0,-95,1,1"])
def test_api_invalid_bbox_is_422_naming_the_field(db: None, client: Client, bbox: str) -> None:
    response = client.get(API, {"bbox": bbox})
    assert response.status_code == 422
    assert response.json()["field"] == "bbox"


def test_api_invalid_page_is_422(db: None, client: Client) -> None:
    assert client.get(API, {"page": "0"}).status_code == 422


def test_api_unknown_or_hidden_id_is_404(sample: dict[str, Organisation], client: Client) -> None:
    assert client.get(f"{API}/999999").status_code == 404
    assert client.get(f"{API}/{sample['hidden'].pk}").status_code == 404
    assert client.get(f"{API}/{sample['bakery'].pk}").status_code == 200


def test_member_proposes_then_steward_confirms(
    member_client: Client, steward_client: Client, client: Client
) -> None:
    response = member_client.post(
        API,
        json.dumps({"name": "New Co-op", "country": "uk", "latitude": 51.0, "longitude": 0.0}),
        content_type="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["status"], created["country"]) == ("proposed", "GB")
    assert client.get(f"{API}/{created['id']}").status_code == 404
    review = steward_client.post(
        f"{API}/{created['id']}/review",
        json.dumps({"decision": "confirm"}),
        content_type="application/json",
    )
    assert review.status_code == 200
    assert review.json()["status"] == "confirmed"
    assert client.get(f"{API}/{created['id']}").status_code == 200
    again = steward_client.post(
        f"{API}/{created['id']}/review",
        json.dumps({"decision": "reject"}),
        content_type="application/json",
    )
    assert again.status_code == 409


def test_member_editing_another_members_organisation_is_403_and_nothing_changes(
    member_client: Client, other_member: object, sample: dict[str, Organisation]
) -> None:
    other = Organisation.objects.create(
        name="Bo's Co-op", created_by=other_member, status=Organisation.Status.CONFIRMED
    )
    events = AuditEvent.objects.count()
    response = member_client.patch(
        f"{API}/{other.pk}", json.dumps({"name": "Hijacked"}), content_type="application/json"
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.name == "Bo's Co-op"
    assert AuditEvent.objects.count() == events


def test_member_edits_own_and_steward_edits_any(
    member_client: Client, member: object, steward_client: Client, sample: dict[str, Organisation]
) -> None:
    own = Organisation.objects.create(name="Mine", created_by=member, status="proposed")
    assert (
        member_client.patch(
            f"{API}/{own.pk}", json.dumps({"locality": "Leeds"}), content_type="application/json"
        ).json()["locality"]
        == "Leeds"
    )
    response = steward_client.patch(
        f"{API}/{sample['bank'].pk}",
        json.dumps({"structure": "OS50"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Organisation.objects.get(pk=sample["bank"].pk).structure == "OS50"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "latitude": 91, "longitude": 0}, "latitude"),
        ({"name": "X", "structure": "OS999"}, "structure"),
        ({"name": "X", "country": "Atlantis"}, "country"),
        ({"name": "X", "latitude": 10}, "latitude"),
    ],
)
def test_api_create_invalid_is_422_and_nothing_created(
    member_client: Client, payload: dict[str, object], field: str
) -> None:
    response = member_client.post(API, json.dumps(payload), content_type="application/json")
    assert response.status_code == 422
    assert field in json.dumps(response.json())
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_stewards_review(
    who: str, client: Client, member_client: Client, sample: dict[str, Organisation]
) -> None:
    caller = client if who == "anonymous" else member_client
    response = caller.post(
        f"{API}/{sample['hidden'].pk}/review",
        json.dumps({"decision": "confirm"}),
        content_type="application/json",
    )
    assert response.status_code == (401 if who == "anonymous" else 403)
    assert Organisation.objects.get(pk=sample["hidden"].pk).status == "proposed"


def test_pages_render(
    sample: dict[str, Organisation], client: Client, steward_client: Client
) -> None:
    listing = client.get("/directory/", {"q": "bakery"})
    assert listing.status_code == 200
    assert "Riverside Bakery Co-op" in listing.content.decode()
    assert client.get("/directory/", {"bbox": "nonsense"}).status_code == 422
    assert client.get("/directory/map/").status_code == 200
    assert client.get(f"/directory/organisations/{sample['bakery'].pk}/").status_code == 200
    assert client.get(f"/directory/organisations/{sample['hidden'].pk}/").status_code == 404
    assert client.get("/directory/review/").status_code == 302
    assert steward_client.get("/directory/review/").status_code == 200
    assert steward_client.get("/directory/import/").status_code == 200


def test_member_cannot_open_review_or_import_pages(member_client: Client) -> None:
    assert member_client.get("/directory/review/").status_code == 403
    assert member_client.get("/directory/import/").status_code == 403
