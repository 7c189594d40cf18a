"""Importers on slices of the real files and on hand-made bad rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command

from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.models import Organisation, Provenance
from solidaria.directory.tests.conftest import (
    COOPSUK,
    DOTCOOP,
    SUSY,
    coopsuk_row,
    csv_slice,
    geojson_slice,
    line_slice,
)

pytestmark = pytest.mark.usefixtures("taxonomies")


def test_coopsuk_slice_imports_with_container_coordinates_and_reimport_changes_nothing(
    tmp_path: Path,
) -> None:
    # given the first 300 Co-ops UK rows
    path = csv_slice(COOPSUK, tmp_path / "coopsuk.csv", 300)
    # when imported twice
    first = run_import(path=path, fmt="coopsuk")
    orgs_after_first = list(Organisation.objects.order_by("id").values())
    second = run_import(path=path, fmt="coopsuk")
    # then the first run accounts for every row, the second changes nothing
    assert first.read == 300
    assert first.created + first.merged == 300
    assert first.rejected == []
    assert (second.created, second.updated, second.merged, second.unchanged) == (0, 0, 0, 300)
    assert list(Organisation.objects.order_by("id").values()) == orgs_after_first
    group = Organisation.objects.get(provenance__source_id="R000001")
    assert (group.name, group.country, group.structure, group.ica_activity) == (
        "The Co-operative Group",
        "GB",
        "OS130",
        "ICA260",
    )
    assert (group.latitude, group.longitude) == (53.488061, -2.237449)
    assert group.membership_type == "BMT10"
    assert group.legal_form == "L2"


def test_dotcoop_rejects_bad_rows_with_their_lines_and_imports_the_rest(tmp_path: Path) -> None:
    # given the first 810 physical lines of the DotCoop file (header + 809 rows)
    path = line_slice(DOTCOOP, tmp_path / "dotcoop.csv", 810)
    # when imported
    report = run_import(path=path, fmt="dotcoop")
    # then the known bad rows are rejected, each with its line and reason
    rejected = [(r.line, r.reason) for r in report.rejected]
    assert rejected[:5] == [
        (174, "expected 23 columns, found 21"),
        (591, "missing name"),
        (794, "missing name"),
        (800, "missing name"),
        (805, "coordinates are not numbers: latitude 'PH13 9PN', longitude '56.50938'"),
    ]
    assert report.read == 809
    assert report.created + report.merged + len(report.rejected) == 809
    assert Provenance.objects.filter(source="dotcoop").count() == 809 - len(report.rejected)


def test_dotcoop_lost_characters_are_repaired_from_evidence_or_flagged(tmp_path: Path) -> None:
    path = line_slice(DOTCOOP, tmp_path / "dotcoop.csv", 3)
    run_import(path=path, fmt="dotcoop")
    org = Organisation.objects.get(provenance__source_id="D61086677-CNIC")
    # "B?hlen" has the geocoder's "Böhlen" beside it: same letters, so it is repaired.
    assert org.locality == "Böhlen"
    # "Kantstra? 10" cannot be matched to "Kantstraße": kept as is and flagged.
    assert org.street_address == "Kantstra? 10"
    assert org.data_issues == ["characters lost in street_address"]


def test_susy_countries_normalised_and_duplicates_merged(tmp_path: Path) -> None:
    path = geojson_slice(SUSY, tmp_path / "susy.geojson", 400)
    report = run_import(path=path, fmt="susy")
    assert report.rejected == []
    assert report.created + report.merged == 400
    assert report.merged > 0
    countries = set(Organisation.objects.values_list("country", flat=True))
    assert countries <= {
        "BG",
        "GB",
        "DE",
        "AT",
        "IT",
        "PT",
        "GR",
        "ES",
        "BE",
        "EE",
        "HU",
        "FR",
        "MT",
        "SI",
        "RO",
        "SK",
        "HR",
        "CZ",
        "PL",
        "FI",
        "CY",
        "IE",
        "LV",
        "IM",
        "GH",
        "UG",
        "KE",
        "",
    }
    food_bank = Organisation.objects.filter(name="Bulgarian Food Bank")
    assert food_bank.count() == 1
    assert food_bank.get().provenance.count() >= 2
    again = run_import(path=path, fmt="susy")
    assert (again.created, again.updated, again.merged) == (0, 0, 0)


def test_dedupe_same_source_id_same_domain_and_same_name_within_100_m(
    write_coopsuk: Callable[..., Path],
) -> None:
    # given rows: A; B shares A's web domain; C has A's name 50 m away; D has it 300 m away
    path = write_coopsuk(
        [
            coopsuk_row("R1", "Bread Co-op", lat="51.5", lon="-0.1", website="http://bread.coop"),
            coopsuk_row("R2", "Other Name", website="https://www.bread.coop/shop"),
            coopsuk_row("R3", "Bread Co-operative Ltd", lat="51.50045", lon="-0.1"),
            coopsuk_row("R4", "Bread Co-op", lat="51.5027", lon="-0.1"),
        ]
    )
    report = run_import(path=path, fmt="coopsuk")
    assert (report.created, report.merged) == (2, 2)
    bread = Organisation.objects.get(provenance__source_id="R1")
    assert sorted(bread.provenance.values_list("source_id", flat=True)) == ["R1", "R2", "R3"]
    assert Organisation.objects.get(provenance__source_id="R4").pk != bread.pk


def test_bad_rows_are_rejected_and_nothing_is_half_written(
    write_coopsuk: Callable[..., Path],
) -> None:
    path = write_coopsuk(
        [
            coopsuk_row("R1", "Good One", lat="51.5", lon="-0.1"),
            coopsuk_row("R2", ""),
            coopsuk_row("R3", "Too North", lat="95", lon="0"),
            coopsuk_row("R4", "Odd Structure", structure="OS999"),
            "R5,Short Row,only three",
            coopsuk_row("R6", "Good Two", lon="", lat=""),
            coopsuk_row("R1", "Good One Again"),
        ]
    )
    report = run_import(path=path, fmt="coopsuk")
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "missing name"),
        (4, "latitude 95.0 out of range [-90, 90]"),
        (5, "unknown structure code 'OS999' (ESSGlobal organisational-structure)"),
        (6, "expected 30 columns, found 3"),
        (8, "duplicate source id 'R1' (first on line 2)"),
    ]
    assert report.created == 2
    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["Good One", "Good Two"]
    assert sorted(Provenance.objects.values_list("source_id", flat=True)) == ["R1", "R6"]


def test_changed_source_row_updates_its_organisation(write_coopsuk: Callable[..., Path]) -> None:
    run_import(path=write_coopsuk([coopsuk_row("R1", "Old Name")]), fmt="coopsuk")
    report = run_import(path=write_coopsuk([coopsuk_row("R1", "New Name")]), fmt="coopsuk")
    assert (report.created, report.updated) == (0, 1)
    assert Organisation.objects.get().name == "New Name"


def test_murmurations_profiles_import_and_invalid_ones_are_rejected(tmp_path: Path) -> None:
    profiles = [
        {
            "linked_schemas": ["organizations_schema-v1.0.0"],
            "name": "Murmuring Co-op",
            "primary_url": "https://murmuring.example.org",
            "country_iso_3166": "DE",
            "geolocation": {"lat": 52.5, "lon": 13.4},
            "tags": ["food"],
        },
        {"linked_schemas": ["organizations_schema-v1.0.0"], "primary_url": "ftp://x"},
    ]
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(profiles), encoding="utf-8")
    report = run_import(path=path, fmt="murmurations")
    assert report.created == 1
    assert [r.line for r in report.rejected] == [2]
    assert report.rejected[0].reason.startswith("invalid profile:")
    org = Organisation.objects.get()
    assert (org.name, org.country, org.latitude, org.tags) == (
        "Murmuring Co-op",
        "DE",
        52.5,
        ["food"],
    )


def test_cli_prints_report_and_exits_zero(
    write_coopsuk: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_coopsuk([coopsuk_row("R1", "Good One"), coopsuk_row("R2", "")])
    call_command(
        "import", "directory", "--format", "coopsuk", str(path), "--json", "--no-progress",
        "--skip-bad-rows",
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("read", "created", "updated", "merged", "rejected")} == {
        "read": 2,
        "created": 1,
        "updated": 0,
        "merged": 0,
        "rejected": 1,
    }
    assert out["rejected_rows"] == [{"line": 3, "reason": "missing name"}]
