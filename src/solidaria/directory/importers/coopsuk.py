"""Co-operatives UK open data (`standard.csv` in DigitalCommons/coopsuk; the worker co-op
file shares the first 30 columns). Coordinates are postcode centroids in the Geo
Container columns; `Latitude`/`Longitude` are empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from solidaria.directory.importers.base import Record, Rejected, Row, code_from_uri, read_csv_rows

SOURCE = "coopsuk"
# The worker co-op extract reuses Co-ops UK identifiers with other values: it is a source
# of its own, merged into the main entries by domain or by name and place.
WORKERS_SOURCE = "coopsuk-workers"
LICENCE = "ODC-By 1.0 (Co-operatives UK)"
COUNTRY_ALIASES: tuple[tuple[str, str], ...] = ()

# Co-ops UK publishes legal forms as words; the ESSGlobal legal-form codes they map to.
LEGAL_FORMS = {
    "society": "L2",
    "company": "L3",
    "unincorporated": "L1",
    "community interest company": "L5",
    "charitable incorporated organisation": "L4",
}


def source_for(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return WORKERS_SOURCE if "WC Legal Form" in header else SOURCE


def _codes(value: str) -> list[str]:
    return [code_from_uri(v) for v in value.replace(";", " ").split() if v.strip()]


def read(path: Path) -> Iterator[Row]:
    for item in read_csv_rows(path):
        if isinstance(item, Rejected):
            yield item
            continue
        line, row = item
        lat = row.get("Latitude", "").strip() or row.get("Geo Container Latitude", "")
        lon = row.get("Longitude", "").strip() or row.get("Geo Container Longitude", "")
        activities = _codes(row.get("Activities", ""))
        legal_text = row.get("Legal Form", "").strip()
        yield Record(
            line=line,
            source_id=row.get("Identifier", "").strip(),
            name=row.get("Name", ""),
            description=row.get("Description", ""),
            website=row.get("Website", ""),
            email=row.get("Email", ""),
            phone=row.get("Phone", ""),
            street_address=" ".join(row.get("Street Address", "").split()),
            locality=row.get("Locality", ""),
            region=row.get("Region", ""),
            postcode=row.get("Postcode", ""),
            country_raw=row.get("Country ID", ""),
            latitude=lat,
            longitude=lon,
            ica_activity=code_from_uri(row.get("Primary Activity", "")),
            activity=activities[0] if activities else "",
            structure=code_from_uri(row.get("Organisational Structure", "")),
            membership_type=code_from_uri(row.get("Membership Type", "")),
            qualifiers=_codes(row.get("Qualifiers", "")),
            legal_form=LEGAL_FORMS.get(legal_text.casefold(), ""),
            legal_form_text=legal_text,
            tags=[t for t in [row.get("Sector", "").strip()] if t],
        )
