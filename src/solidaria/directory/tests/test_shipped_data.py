"""The repository stands on its own: bundled data, taxonomies loaded by migration 0005,
the shared data sets optional, and an import that explains a mass rejection in one line."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from solidaria.conftest import _missing_shared_data, shared_files
from solidaria.core.paths import bundled_data_dir, data_file, shared_data_dir
from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.models import Concept, Organisation
from solidaria.directory.taxonomy import load_taxonomies, parse_all
from solidaria.directory.tests.conftest import coopsuk_row

MIGRATION = importlib.import_module("solidaria.directory.migrations.0005_shipped_taxonomies")


def test_bundled_data_is_found_from_the_package_and_holds_what_the_demo_reads() -> None:
    root = bundled_data_dir()
    assert root.name == "data" and (root / "README.md").is_file()
    for relative in (
        "essglobal/v1.1/activities-ica.skos",
        "essglobal/ica10/organisational-structure.ttl",
        "murmurations/schemas/organizations_schema-v1.0.0.json",
        "directories/coopsuk_2023-03-02_standard.csv",
        "directories/susy_transformap_SSEDAS_PARTNER.geojson",
        "pabulib/Netherlands_Assen_2024.pb",
        "stv/expected/moray_2017_ward3.json",
        "clearing/jerboa_triangle.problem",
    ):
        assert (root / relative).is_file(), relative


def test_bundled_data_stays_a_few_megabytes() -> None:
    total = sum(p.stat().st_size for p in bundled_data_dir().rglob("*") if p.is_file())
    assert total < 6_000_000


def test_shared_data_comes_from_the_variable_and_is_none_when_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the variable points at a folder / then that folder is the shared data
    (tmp_path / "directories").mkdir()
    (tmp_path / "directories" / "x.csv").write_text("a\n", encoding="utf-8")
    monkeypatch.setenv("SOLIDARIA_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path.resolve()
    assert data_file("directories/x.csv") == tmp_path.resolve() / "directories" / "x.csv"
    # and a file only bundled comes from data/
    assert data_file("pabulib/MANIFEST.tsv") == bundled_data_dir() / "pabulib" / "MANIFEST.tsv"
    # given the variable points nowhere / then there is no shared data, and no machine path
    monkeypatch.setenv("SOLIDARIA_SHARED_DATA", str(tmp_path / "missing"))
    assert shared_data_dir() is None
    assert data_file("pabulib/MANIFEST.tsv") == bundled_data_dir() / "pabulib" / "MANIFEST.tsv"


def test_a_shared_data_test_skips_without_the_data_and_fails_when_it_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOLIDARIA_SHARED_DATA", str(tmp_path / "missing"))
    monkeypatch.delenv("SOLIDARIA_REQUIRE_SHARED_DATA", raising=False)
    assert "needs the full shared data sets" in _missing_shared_data()
    assert [p.values for p in shared_files("pabulib", "*.pb")] == [("shared-data-missing",)]
    monkeypatch.setenv("SOLIDARIA_REQUIRE_SHARED_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="SOLIDARIA_REQUIRE_SHARED_DATA=1"):
        _missing_shared_data()
    # given the data is there / then nothing is skipped
    monkeypatch.setenv("SOLIDARIA_SHARED_DATA", str(tmp_path))
    assert _missing_shared_data() == ""


def test_a_migrated_database_holds_the_shipped_taxonomies(db: None) -> None:
    # given only `migrate` ran (no demo, no load_taxonomies)
    parsed = parse_all(bundled_data_dir() / "essglobal")
    # then every shipped concept is there once, with its labels
    assert Concept.objects.count() == len(parsed) > 500
    ica = Concept.objects.get(scheme="activities-ica", code="ICA260")
    assert ica.labels == parsed[("activities-ica", "ICA260")].labels


def test_the_taxonomy_migration_and_load_taxonomies_never_duplicate(db: None) -> None:
    before = Concept.objects.count()
    Concept.objects.filter(scheme="themes").update(labels={"en": "stale"})
    # when the migration runs again, then load_taxonomies
    MIGRATION.load_shipped_taxonomies(apps, SimpleNamespace(connection=connection))
    counts = load_taxonomies()
    # then nothing was added and the stale labels were put right by the migration
    assert Concept.objects.count() == before
    assert (counts["created"], counts["updated"]) == (0, 0)
    assert not Concept.objects.filter(labels={"en": "stale"}).exists()


def test_import_on_a_freshly_migrated_database_accepts_essglobal_codes(
    db: None, write_coopsuk: Callable[..., Path]
) -> None:
    path = write_coopsuk([coopsuk_row("R1", "Bakery", activity="ICA260", structure="OS130")])
    report = run_import(path=path, fmt="coopsuk")
    assert (report.created, report.rejected) == (1, [])
    assert Organisation.objects.get().ica_activity == "ICA260"


def test_cli_says_in_one_line_why_most_rows_were_rejected_and_how_to_fix_it(
    db: None, write_coopsuk: Callable[..., Path]
) -> None:
    # given no taxonomies (someone emptied them) and 40 rows: 38 with an ICA activity,
    # one with only a structure, one without a name
    Concept.objects.all().delete()
    rows = [coopsuk_row(f"R{i}", f"Co-op {i}") for i in range(38)]
    ica = "https://dev.lod.coop/essglobal/2.1/standard/activities-ica/ICA260"
    rows += [coopsuk_row("R98", "Odd").replace(ica, ""), coopsuk_row("R99", "")]
    out = StringIO()
    # when imported from the command line, skipping bad rows
    with pytest.raises(CommandError) as refused:
        call_command("import", "directory", "--format", "coopsuk", str(write_coopsuk(rows)),
                     "--no-progress", "--skip-bad-rows", stdout=out)  # fmt: skip
    # then no row could be imported: exit 2 after the report
    assert refused.value.returncode == 2
    lines = out.getvalue().splitlines()
    # and one line gives the count, the reason and the fix; the odd row keeps its own line
    assert lines[1:] == [
        "39 of 40 rows were rejected: unknown ica_activity code / unknown structure code. "
        "The ESSGlobal codes are missing: run `solidaria load_taxonomies` and import again.",
        "  line 41: missing name",
    ]


def test_cli_lists_at_most_fifty_rejected_rows(
    db: None, write_coopsuk: Callable[..., Path]
) -> None:
    # given 60 rows without a name among 70 good ones (not most rows: each one is listed)
    rows = [coopsuk_row(f"G{i}", f"Good {i}") for i in range(70)]
    rows += [coopsuk_row(f"B{i}", "") for i in range(60)]
    out = StringIO()
    call_command("import", "directory", "--format", "coopsuk", str(write_coopsuk(rows)),
                 "--no-progress", "--skip-bad-rows", stdout=out)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + 50 + 1
    assert lines[1] == "  line 72: missing name"
    assert lines[-1] == "10 more rejected rows are not shown; --json lists every one."
