"""The map shows what the search shows: its clusters take the search's filters, and a
single organisation's point names it, its type and its page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from solidaria.directory import search
from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.models import Organisation
from solidaria.directory.tests.conftest import COOPSUK, csv_slice

pytestmark = pytest.mark.usefixtures("taxonomies")
WORLD = {"bbox": "-180,-90,180,90"}


@pytest.fixture
def imported(tmp_path: Path) -> int:
    run_import(path=csv_slice(COOPSUK, tmp_path / "c.csv", 120), fmt="coopsuk")
    return Organisation.objects.filter(status="confirmed", latitude__isnull=False).count()


def _clusters(client: Client, **query: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/directory/clusters", {**WORLD, "zoom": 3, **query})
    assert response.status_code == 200, response.content
    return response.json()


def test_without_filters_the_map_counts_every_located_organisation(
    imported: int, client: Client
) -> None:
    data = _clusters(client)
    assert data["total"] == imported == sum(c["count"] for c in data["clusters"])


def test_the_clusters_count_what_the_search_finds(imported: int, client: Client) -> None:
    org = Organisation.objects.filter(status="confirmed", latitude__isnull=False).first()
    assert org is not None and org.structure
    word = max(org.name.split(), key=len)
    for filters in ({"q": word}, {"structure": org.structure}, {"country": "United Kingdom"}):
        expected = search.search(search.as_params({**filters, **WORLD})).total
        data = _clusters(client, **filters)
        assert data["total"] == sum(c["count"] for c in data["clusters"]) == expected > 0
    assert _clusters(client, q="zzzqqqnothing")["total"] == 0


def test_an_unknown_country_is_refused_like_in_the_search(imported: int, client: Client) -> None:
    response = client.get("/api/directory/clusters", {**WORLD, "zoom": 3, "country": "Atlantis"})
    assert response.status_code == 422
    assert "country" in response.content.decode()


def test_a_single_point_carries_name_type_and_page_not_just_an_id(
    imported: int, client: Client
) -> None:
    data = _clusters(client, zoom=18)
    singles = [c for c in data["clusters"] if c["count"] == 1]
    assert singles
    one = singles[0]
    org = Organisation.objects.get(pk=one["id"])
    assert one["name"] == org.name
    assert one["url"] == f"/directory/organisations/{org.pk}/"
    assert one["type"] and one["type"] != org.structure  # a label, not a code
    groups = [c for c in _clusters(client, zoom=0)["clusters"] if c["count"] > 1]
    assert groups and all(c["name"] is None for c in groups)
