"""Open data: the directory's downloads are the CLI export's files, with licences."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rdflib import Graph
from rdflib.compare import isomorphic

from solidaria.directory.exporters.tabular import neutralised
from solidaria.directory.importers import dotcoop
from solidaria.directory.models import Organisation

pytestmark = pytest.mark.usefixtures("taxonomies")

Make = Callable[..., Organisation]


@pytest.fixture
def orgs(make_org: Make) -> list[Organisation]:
    return [
        make_org("Bakers' Co-op", locality="Leeds", latitude=53.8, longitude=-1.55),
        make_org('=HYPERLINK("http://evil")', phone="+44 113 000", description="@cmd"),
        make_org("Dot Co-op", licence=dotcoop.LICENCE),
        make_org("Proposed", status=Organisation.Status.PROPOSED),
    ]


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "fmt", ["csv", "geojson", "essglobal-jsonld", "essglobal-ttl", "murmurations"]
)
def test_each_download_is_the_cli_exports_file(
    fmt: str, orgs: list[Organisation], client: Client, tmp_path: Path
) -> None:
    Organisation.objects.filter(licence=dotcoop.LICENCE).delete()  # the CLI keeps those
    out = tmp_path / "cli.out"
    call_command("export", "directory", "--format", fmt, "--out", str(out))

    web = client.get(reverse("directory:download", args=[fmt]))
    api = client.get(f"/api/directory/downloads/{fmt}")

    assert web.status_code == 200 and api.status_code == 200
    assert "attachment" in web["Content-Disposition"]
    expected = out.read_bytes()
    for body in (_body(web), _body(api)):
        if fmt.startswith("essglobal"):  # rdflib names blank nodes anew each time
            syntax = "turtle" if fmt.endswith("ttl") else "json-ld"
            ours, cli = Graph().parse(data=body, format=syntax), Graph()
            assert isomorphic(ours, cli.parse(data=expected, format=syntax))
            assert len(ours) > 10
        else:
            assert body == expected


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    orgs: list[Organisation], client: Client
) -> None:
    body = _body(client.get(reverse("directory:download", args=["csv"]))).decode()
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(body))}
    evil = rows[str(orgs[1].pk)]
    plain = rows[str(orgs[0].pk)]

    assert evil["name"] == '\'=HYPERLINK("http://evil")'
    assert evil["phone"] == "'+44 113 000"
    assert evil["description"] == "'@cmd"
    assert plain["name"] == "Bakers' Co-op"
    assert plain["longitude"] == "-1.55"  # numbers stay numbers


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("-2+3", "'-2+3"),
        ("-2", "-2"),  # a plain number stays a number (negative amounts in statements)
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("ok", "ok"),
        (-2, -2),
    ],
)
def test_neutralised(value: object, shown: object) -> None:
    assert neutralised(value) == shown


def test_entries_that_may_not_be_redistributed_are_left_out_and_said_so(
    orgs: list[Organisation], client: Client
) -> None:
    geo = json.loads(_body(client.get(reverse("directory:download", args=["geojson"]))))
    page = client.get(reverse("directory:downloads")).content.decode()

    assert {f["properties"]["name"] for f in geo["features"]} == {
        "Bakers' Co-op",
        '=HYPERLINK("http://evil")',
    }
    assert "1 entry is left out of the files" in page


def test_the_page_lists_formats_licences_and_attribution(
    orgs: list[Organisation], client: Client
) -> None:
    page = client.get(reverse("directory:downloads")).content.decode()

    for fmt in ("csv", "geojson", "essglobal-jsonld", "essglobal-ttl", "murmurations"):
        assert reverse("directory:download", args=[fmt]) in page
    assert "Entered in this network" in page
    assert "ESSGlobal vocabulary and taxonomies" in page and "CC-BY 3.0" in page
    assert reverse("directory:downloads") in client.get(reverse("directory:list")).content.decode()


def test_an_unknown_format_is_404_on_the_web_and_422_in_the_api(client: Client) -> None:
    assert client.get(reverse("directory:download", args=["xlsx"])).status_code == 404
    assert client.get("/api/directory/downloads/xlsx").status_code == 422
