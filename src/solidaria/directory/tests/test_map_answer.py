"""The map's clusters answer (directory/map_answer.py): the same JSON the response
schema gives, grouped points equal to a plain per-point grouping, and a short cache."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.directory import clustering, map_answer, search
from solidaria.directory.api import ClustersOut
from solidaria.directory.factories import make_organisation
from solidaria.directory.models import Organisation

pytestmark = pytest.mark.usefixtures("taxonomies")
WORLD = clustering.BBox(-180, -90, 180, 90)


def reference_grouping(points: list[tuple[int, float, float]], zoom: int) -> list[dict[str, Any]]:
    """One point at a time, as the map grouped before it was vectorised."""
    zoom = max(0, min(clustering.MAX_ZOOM, zoom))
    groups: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for org_id, lat, lon in points:
        groups.setdefault(clustering.cell_of(lat, lon, zoom), []).append((org_id, lat, lon))
    return [
        {
            "lat": round(sum(m[1] for m in members) / len(members), 6),
            "lon": round(sum(m[2] for m in members) / len(members), 6),
            "count": len(members),
            "id": members[0][0] if len(members) == 1 else None,
        }
        for members in groups.values()
    ]


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 10**9), latitudes, longitudes), max_size=60),
    st.integers(-2, 24),
)
def test_grouped_points_equal_the_per_point_grouping(
    points: list[tuple[int, float, float]], zoom: int
) -> None:
    assert clustering.group_points(points, zoom) == reference_grouping(points, zoom)


def test_grouped_points_equal_on_a_dense_city() -> None:
    rng = random.Random(3)
    points = [(i, rng.gauss(48.85, 0.05), rng.gauss(2.35, 0.05)) for i in range(3000)]
    for zoom in (0, 9, 12, 16, 20):
        assert clustering.group_points(points, zoom) == reference_grouping(points, zoom)


@pytest.fixture
def located(db: Any) -> list[Organisation]:
    rng = random.Random(7)
    orgs = [
        make_organisation(
            f"Place {i}",
            latitude=rng.uniform(40, 52),
            longitude=rng.uniform(-5, 15),
            structure="OS10" if i % 3 else "",
            country="FR",
        )
        for i in range(40)
    ]
    clustering.rebuild()
    return orgs


def _rendered(box: clustering.BBox, zoom: int, **filters: str) -> dict[str, Any]:
    params = search.filter_params(filters)
    response = map_answer.response(RequestFactory().get("/"), box, zoom, params, "en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


@override_settings(SOLIDARIA_MAP_CACHE_SECONDS=0)
def test_the_answer_is_what_the_schema_gives(located: list[Organisation]) -> None:
    for zoom in (0, 5, 9, 10, 14, 20):
        for filters in ({}, {"q": "place"}, {"country": "FR"}):
            data = _rendered(WORLD, zoom, **filters)
            assert data == json.loads(ClustersOut.model_validate(data).model_dump_json())
            assert data["total"] == sum(c["count"] for c in data["clusters"]) == 40
    singles = [c for c in _rendered(WORLD, 20)["clusters"] if c["count"] == 1]
    assert len(singles) == 40
    for single in singles:
        org = Organisation.objects.get(pk=single["id"])
        assert single["name"] == org.name
        assert single["url"] == f"/directory/organisations/{org.pk}/"
        assert bool(single["type"]) == bool(org.structure)


@override_settings(SOLIDARIA_MAP_CACHE_SECONDS=0)
def test_the_clusters_api_answers_from_map_answer(located: list[Organisation], client) -> None:  # type: ignore[no-untyped-def]
    # the cache off: both answers are built, not the second read back from the first
    got = client.get("/api/directory/clusters", {"bbox": "-180,-90,180,90", "zoom": 20}).json()
    assert got == _rendered(WORLD, 20)
    assert {c["id"] for c in got["clusters"]} == {o.pk for o in located}


@override_settings(SOLIDARIA_MAP_CACHE_SECONDS=30)
def test_an_answer_is_cached_briefly_by_cells_and_filters(located: list[Organisation]) -> None:
    before = _rendered(WORLD, 3)
    # a box over the same cells at that zoom: the same key, the same answer
    assert map_answer.cache_key(WORLD, 3, search.filter_params({}), "en") == map_answer.cache_key(
        clustering.BBox(-179.9, -89.9, 179.9, 89.9), 3, search.filter_params({}), "en"
    )
    assert map_answer.cache_key(WORLD, 3, search.filter_params({}), "en") != map_answer.cache_key(
        WORLD, 3, search.filter_params({"q": "place"}), "en"
    )
    make_organisation("Latecomer", latitude=45.0, longitude=5.0)
    clustering.rebuild()
    assert _rendered(WORLD, 3) == before  # within the cache's time
    with override_settings(SOLIDARIA_MAP_CACHE_SECONDS=0):
        assert _rendered(WORLD, 3)["total"] == before["total"] + 1
