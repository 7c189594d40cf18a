"""Issue 14: several web addresses in one cell, invalid IRIs, atomic exports, menus in
the visitor's language, junk names and country names in the filter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from rdflib import Graph, Literal, URIRef

from solidaria.core.errors import ValidationFailed
from solidaria.directory import services
from solidaria.directory.exporters import essglobal, murmurations, run, tabular
from solidaria.directory.exporters.essglobal import GR
from solidaria.directory.forms import OrganisationForm
from solidaria.directory.importers.cleaning import is_junk_name, split_websites
from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.models import Organisation
from solidaria.directory.search import SearchParams, search
from solidaria.directory.tests.conftest import coopsuk_row

pytestmark = pytest.mark.usefixtures("taxonomies")
API = "/api/directory/organisations"


@pytest.mark.parametrize(
    ("cell", "websites"),
    [
        (
            "http://www.joambtu.org; http://www.estudioinclusivo.com",
            ["http://www.joambtu.org", "http://www.estudioinclusivo.com"],
        ),
        (
            "www.patim.org https://www.facebook.com/patim.org/ @patimcs",
            ["http://www.patim.org", "https://www.facebook.com/patim.org/"],
        ),
        ("a.coop, b.coop | a.coop", ["http://a.coop", "http://b.coop"]),
        ("http://example.coop/a,b", ["http://example.coop/a,b"]),
        ("Essbare Stadt Wels", []),
        ("contact@example.coop", []),
        ("", []),
    ],
)
def test_split_websites(cell: str, websites: list[str]) -> None:
    assert split_websites(cell) == websites


def test_import_keeps_the_first_address_as_website_and_the_others(
    write_coopsuk: Callable[..., Path],
) -> None:
    # given a cell with two addresses separated by '; '
    path = write_coopsuk([coopsuk_row("R1", "Two Sites", website="http://a.coop; b.coop/x")])
    # when it is imported
    run_import(path=path, fmt="coopsuk")
    # then the first is the website and the second is kept
    org = Organisation.objects.get()
    assert (org.website, org.other_websites) == ("http://a.coop", ["http://b.coop/x"])
    assert org.web_domain == "a.coop"


def test_member_cannot_enter_two_addresses_as_one_website(member: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_create(
            actor=member, data={"name": "X", "website": "http://a.coop; http://b.coop"}
        )
    assert caught.value.field == "website"
    assert not Organisation.objects.exists()


@pytest.mark.parametrize("fmt", ["essglobal-ttl", "essglobal-jsonld"])
def test_essglobal_export_writes_an_invalid_address_as_a_literal(
    fmt: str, make_org: Callable[..., Organisation], tmp_path: Path
) -> None:
    # given entries stored before addresses were split (the demo data's case)
    bad = make_org("Joambtu", website="http://www.joambtu.org; http://www.estudioinclusivo.com")
    good = make_org("Good", website="https://good.coop/", other_websites=["https://x.coop/ a"])
    # when the directory is exported
    out = tmp_path / "out"
    assert run.export(fmt=fmt, out=out) == 2
    # then the file parses and holds the bad value as text, the good one as an IRI
    graph = Graph().parse(out, format="turtle" if fmt == "essglobal-ttl" else "json-ld")
    bad_homepage = graph.value(essglobal.organisation_uri(bad.pk), GR.homepage)
    good_homepage = graph.value(essglobal.organisation_uri(good.pk), GR.homepage)
    assert bad_homepage == Literal("http://www.joambtu.org; http://www.estudioinclusivo.com")
    assert good_homepage == URIRef("https://good.coop/")


def _failing(*args: Any, **kwargs: Any) -> int:
    """A writer that writes half a file, then fails."""
    out = next(a for a in [*args, *kwargs.values()] if isinstance(a, Path))
    out.write_text("half a fi", encoding="utf-8")
    raise ValueError("organisation 7: broken")


WRITERS = {
    "csv": (tabular, "write_csv"),
    "geojson": (tabular, "write_geojson"),
    "essglobal-ttl": (essglobal, "write"),
    "essglobal-jsonld": (essglobal, "write"),
    "murmurations": (murmurations, "write"),
}


@pytest.mark.parametrize("fmt", run.FORMATS)
def test_a_failed_export_leaves_no_partial_file_and_keeps_the_last_one(
    fmt: str, make_org: Callable[..., Organisation], tmp_path: Path, monkeypatch: Any
) -> None:
    # given an earlier export at the path
    make_org("Anything")
    out = tmp_path / "directory.out"
    out.write_text("the last good export", encoding="utf-8")
    module, name = WRITERS[fmt]
    monkeypatch.setattr(module, name, _failing)
    # when the export fails half-way
    with pytest.raises(ValueError, match="broken"):
        run.export(fmt=fmt, out=out)
    # then the earlier file is intact and nothing else is left
    assert out.read_text(encoding="utf-8") == "the last good export"
    assert [p.name for p in tmp_path.iterdir()] == ["directory.out"]


@pytest.mark.parametrize("fmt", run.FORMATS)
def test_an_export_replaces_the_file_and_leaves_no_temporary_file(
    fmt: str, make_org: Callable[..., Organisation], tmp_path: Path
) -> None:
    make_org("Good Co-op", website="https://good.coop/")
    out = tmp_path / "directory.out"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    assert run.export(fmt=fmt, out=out) == 1
    assert "Good Co-op" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["directory.out"]
    assert out.stat().st_mode & 0o777 == 0o644


def test_classification_menus_follow_each_visitors_language(db: None) -> None:
    # given a first visitor in Spanish after start-up
    with translation.override("es"):
        spanish = dict(OrganisationForm().fields["ica_activity"].choices)
    # when a visitor in English opens the same form
    with translation.override("en"):
        english = dict(OrganisationForm().fields["ica_activity"].choices)
    # then each sees their own language
    assert spanish["ICA260"] == "Comercio mayorista y minorista"
    assert english["ICA260"] == "Wholesale and retail trade"


def test_propose_page_menus_follow_the_language(member_client: Client) -> None:
    spanish = member_client.get("/directory/organisations/new/", HTTP_ACCEPT_LANGUAGE="es")
    english = member_client.get("/directory/organisations/new/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Comercio mayorista y minorista" in spanish.content.decode()
    assert "Comercio mayorista y minorista" not in english.content.decode()
    assert "Wholesale and retail trade" in english.content.decode()


@pytest.mark.parametrize(
    ("name", "junk"),
    [
        ("#NAME?", True),
        ("#REF!", True),
        ("#value!", True),
        ("#N/A", True),
        ("#DIV/0!", True),
        ("  -  ", True),
        ("\u200b", True),
        ("N/A", True),
        ("", True),
        ("#Refaz - Atelier Ideal", False),
        ('"Anakyklos" Environmental charity shop', False),
        ("3D Co-op", False),
    ],
)
def test_junk_names(name: str, junk: bool) -> None:
    assert is_junk_name(name) is junk


def test_junk_names_are_imported_for_review_not_listed(
    write_coopsuk: Callable[..., Path],
) -> None:
    # given a file with spreadsheet errors for names
    path = write_coopsuk(
        [
            coopsuk_row("R1", "#NAME?"),
            coopsuk_row("R2", "-"),
            coopsuk_row("R3", "Aardvark Co-op"),
        ]
    )
    # when it is imported
    report = run_import(path=path, fmt="coopsuk")
    # then the junk rows wait for review with the problem named, and A-Z starts with a name
    assert report.created == 3
    statuses = dict(Organisation.objects.values_list("name", "status"))
    assert statuses == {"#NAME?": "proposed", "-": "proposed", "Aardvark Co-op": "confirmed"}
    junk = Organisation.objects.get(name="#NAME?")
    assert junk.data_issues == ["the name '#NAME?' is a spreadsheet error or no name"]
    assert [o.name for o in search(SearchParams()).results] == ["Aardvark Co-op"]


def test_reimport_turning_a_name_into_junk_sends_the_entry_back_to_review(
    write_coopsuk: Callable[..., Path],
) -> None:
    # given a confirmed imported entry
    run_import(path=write_coopsuk([coopsuk_row("R1", "Good Name")]), fmt="coopsuk")
    # when its source row comes back with #REF! as its name
    run_import(path=write_coopsuk([coopsuk_row("R1", "#REF!")]), fmt="coopsuk")
    # then it is no longer public
    org = Organisation.objects.get()
    assert (org.name, org.status) == ("#REF!", "proposed")
    assert search(SearchParams()).total == 0


@pytest.mark.parametrize("country", ["DE", "de", "Germany", "Deutschland", "germany "])
def test_country_filter_accepts_codes_and_names(
    country: str, make_org: Callable[..., Organisation], client: Client
) -> None:
    make_org("Bäckerei Genossenschaft", country="DE")
    make_org("Riverside Bakery", country="GB")
    response = client.get(API, {"country": country})
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["results"]] == ["Bäckerei Genossenschaft"]
    page = client.get("/directory/", {"country": country})
    assert page.status_code == 200
    assert "Riverside Bakery" not in page.content.decode()


def test_unknown_country_is_422_naming_the_field(db: None, client: Client) -> None:
    response = client.get(API, {"country": "Narnia"})
    assert response.status_code == 422
    assert "country" in json.dumps(response.json())
