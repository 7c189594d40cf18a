"""Directory fixtures: taxonomies loaded, slices of the real files, small factories."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from solidaria.core.paths import bundled_data_dir
from solidaria.directory.models import Organisation
from solidaria.directory.taxonomy import load_taxonomies

DIRECTORIES = bundled_data_dir() / "directories"  # samples: slices below fit in them
COOPSUK = DIRECTORIES / "coopsuk_2023-03-02_standard.csv"
DOTCOOP = DIRECTORIES / "dotcoop_ActiveDomainsLonLat-utf8_2019-10-03.csv"
SUSY = DIRECTORIES / "susy_transformap_SSEDAS_PARTNER.geojson"


@pytest.fixture
def taxonomies(db: None) -> None:
    load_taxonomies()


def csv_slice(source: Path, target: Path, rows: int) -> Path:
    """The header and the first `rows` records of a real CSV, byte-for-byte as lines."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records = [r for _, r in zip(range(rows), reader, strict=False)]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(records)
    return target


def line_slice(source: Path, target: Path, lines: int) -> Path:
    """The first `lines` physical lines (keeps original line numbers)."""
    with source.open(encoding="utf-8", newline="") as handle:
        text = "".join(line for _, line in zip(range(lines), handle, strict=False))
    target.write_text(text, encoding="utf-8", newline="")
    return target


def geojson_slice(source: Path, target: Path, features: int) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    data["features"] = data["features"][:features]
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


COOPSUK_HEADER = (
    "Identifier,Name,Description,Organisational Structure,Primary Activity,Activities,"
    "Street Address,Locality,Region,Postcode,Country ID,Territory ID,Website,Phone,Email,"
    "Twitter,Facebook,Companies House Number,Qualifiers,Membership Type,Latitude,Longitude,"
    "Geo Container,Geo Container Latitude,Geo Container Longitude,Sector,SIC Section,SIC Code,"
    "Ownership Classification,Legal Form"
)


def coopsuk_row(
    ident: str,
    name: str,
    *,
    lat: str = "",
    lon: str = "",
    website: str = "",
    structure: str = "OS130",
    activity: str = "ICA260",
    country: str = "GB",
) -> str:
    os_uri = f"https://dev.lod.coop/essglobal/2.1/standard/organisational-structure/{structure}"
    ica_uri = f"https://dev.lod.coop/essglobal/2.1/standard/activities-ica/{activity}"
    cells = [ident, name, "", os_uri, ica_uri, "", "1 High St", "Town", "Region", "AB1 2CD"]
    cells += [country, "", website, "", "", "", "", "", "", "", "", "", "", lat, lon]
    cells += ["Retail", "", "", "Consumers", "Society"]
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


@pytest.fixture
def write_coopsuk(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: list[str], name: str = "coops.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join([COOPSUK_HEADER, *rows]) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_org(db: None) -> Callable[..., Organisation]:
    from solidaria.directory.importers.cleaning import dedupe_domain, name_key

    def make(name: str, **fields: Any) -> Organisation:
        fields.setdefault("status", Organisation.Status.CONFIRMED)
        org = Organisation(name=name, **fields)
        org.name_key = name_key(name)
        org.web_domain = dedupe_domain(org.website)
        org.save()
        return org

    return make
