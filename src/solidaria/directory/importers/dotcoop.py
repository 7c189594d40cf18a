"""DotCoop registry of active .coop domains (DigitalCommons/open-data-and-maps).

One row per domain: an organisation with several domains appears several times (the
deduplication merges them by name and distance). Some text lost non-ASCII letters to
'?' before publication ("Kantstra? 10"); the geocoder columns (`Street Name`, `City 2`)
sometimes hold the intact spelling, which we use only when it matches letter for letter.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from solidaria.directory.importers.base import Record, Rejected, Row, read_csv_rows

SOURCE = "dotcoop"
LICENCE = "DotCoop registry data (licence not stated; attribution shown, no bulk redistribution)"
COUNTRY_ALIASES: tuple[tuple[str, str], ...] = ()


def read(path: Path) -> Iterator[Row]:
    for item in read_csv_rows(path):
        if isinstance(item, Rejected):
            yield item
            continue
        line, row = item
        domain = row.get("Domain", "").strip()
        yield Record(
            line=line,
            source_id=row.get("Roid", "").strip() or domain,
            name=row.get("Name", ""),
            website=f"http://{domain}" if domain else "",
            street_address=row.get("Street", ""),
            locality=row.get("City", ""),
            region=row.get("State 2", "") or row.get("State", ""),
            postcode=row.get("PostCode", ""),
            country_raw=row.get("Country", ""),
            latitude=row.get("Latitude", ""),
            longitude=row.get("Longitude", ""),
            evidence={
                "locality": row.get("City 2", ""),
                "street_address": row.get("Street Name", ""),
            },
        )
