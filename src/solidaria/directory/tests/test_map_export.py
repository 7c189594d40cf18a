"""Map clustering and the exporters (RDF parses back, Murmurations validates)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from solidaria.directory import clustering, services
from solidaria.directory.exporters import murmurations
from solidaria.directory.exporters.essglobal import ESSGLOBAL
from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.models import Organisation
from solidaria.directory.tests.conftest import COOPSUK, csv_slice

pytestmark = pytest.mark.usefixtures("taxonomies")
WORLD = clustering.BBox(-180, -90, 180, 90)


@pytest.fixture
def imported(tmp_path: Path) -> int:
    run_import(path=csv_slice(COOPSUK, tmp_path / "c.csv", 120), fmt="coopsuk")
    return Organisation.objects.filter(status="confirmed").count()


def _total(zoom: int, box: clustering.BBox = WORLD) -> int:
    return sum(c["count"] for c in clustering.clusters(box, zoom))


def test_clusters_cover_every_located_organisation_at_every_zoom(imported: int) -> None:
    located = Organisation.objects.filter(status="confirmed", latitude__isnull=False).count()
    assert located > 100
    for zoom in (0, 3, 6, 9, 12):
        assert _total(zoom) == located
    assert len(clustering.clusters(WORLD, 0)) < len(clustering.clusters(WORLD, 9))
    singles = [c for c in clustering.clusters(WORLD, 16) if c["count"] == 1]
    assert all(Organisation.objects.filter(pk=c["id"]).exists() for c in singles)


def test_review_and_edits_move_points_between_cells(
    imported: int, steward: object, member: object
) -> None:
    located = _total(0)
    org = services.organisation_create(
        actor=member, data={"name": "Map Test", "latitude": -33.9, "longitude": 18.4}
    )
    assert _total(0) == located
    services.organisation_review(actor=steward, org_id=org.pk, decision="confirm")
    assert _total(0) == located + 1
    cape_town = clustering.BBox(18, -34.5, 19, -33)
    assert clustering.clusters(cape_town, 9) == [
        {"lat": -33.9, "lon": 18.4, "count": 1, "id": org.pk}
    ]
    services.organisation_update(actor=steward, org_id=org.pk, data={"latitude": -34.0})
    assert clustering.clusters(cape_town, 9)[0]["lat"] == -34.0
    services.organisation_review(actor=steward, org_id=org.pk, decision="archive")
    assert _total(0) == located
    assert clustering.clusters(cape_town, 9) == []


def test_clusters_api(imported: int, client: Client) -> None:
    response = client.get("/api/directory/clusters", {"bbox": "-180,-90,180,90", "zoom": 2})
    assert response.status_code == 200
    assert sum(c["count"] for c in response.json()["clusters"]) == _total(2)
    assert client.get("/api/directory/clusters", {"bbox": "x", "zoom": 2}).status_code == 422
    assert client.get("/api/directory/clusters", {"bbox": "0,0,1,1", "zoom": -1}).status_code == 422


def test_essglobal_turtle_and_jsonld_parse_back(imported: int, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SOLIDARIA = {
        **settings.SOLIDARIA,
        "ESSGLOBAL_BASE_URI": "https://example.org/essglobal/",
    }
    for fmt, rdf_format in (("essglobal-ttl", "turtle"), ("essglobal-jsonld", "json-ld")):
        out = tmp_path / f"dir.{rdf_format}"
        call_command("export", "directory", "--format", fmt, "--out", str(out))
        graph = Graph().parse(out, format=rdf_format)
        initiatives = set(graph.subjects(RDF.type, ESSGLOBAL.SSEInitiative))
        assert len(initiatives) == imported
        structure = URIRef("https://example.org/essglobal/standard/organisational-structure/OS130")
        assert (None, ESSGLOBAL.organisationalStructure, structure) in graph


def test_csv_and_geojson_exports(imported: int, tmp_path: Path) -> None:
    call_command("export", "directory", "--format", "csv", "--out", str(tmp_path / "d.csv"))
    rows = list(csv.DictReader((tmp_path / "d.csv").open(encoding="utf-8")))
    assert len(rows) == imported
    assert rows[0]["sources"].startswith("coopsuk:")
    call_command("export", "directory", "--format", "geojson", "--out", str(tmp_path / "d.json"))
    data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert len(data["features"]) == imported


def test_murmurations_export_validates_and_profile_is_served(
    imported: int, tmp_path: Path, client: Client, make_org: Callable[..., Organisation]
) -> None:
    out = tmp_path / "profiles.json"
    call_command("export", "directory", "--format", "murmurations", "--out", str(out))
    profiles = json.loads(out.read_text(encoding="utf-8"))
    assert len(profiles) == imported
    assert all(murmurations.errors(p) == [] for p in profiles)
    assert murmurations.errors({"name": 3}) != []
    org = Organisation.objects.filter(status="confirmed").order_by("id").first()
    assert org is not None
    response = client.get(f"/murmurations/organisations/{org.pk}.json")
    assert response.status_code == 200
    assert response.json()["name"] == org.name
    assert response.json()["linked_schemas"] == ["organizations_schema-v1.0.0"]
    hidden = make_org("Hidden", status=Organisation.Status.PROPOSED)
    assert client.get(f"/murmurations/organisations/{hidden.pk}.json").status_code == 404
