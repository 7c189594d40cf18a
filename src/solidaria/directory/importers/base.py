"""What every directory format reader yields: records (one per data row, with its line
number) or rejections (a row that could not even be read)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Record:
    line: int
    source_id: str
    name: str
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    street_address: str = ""
    locality: str = ""
    region: str = ""
    postcode: str = ""
    country_raw: str = ""
    latitude: str | float | None = None
    longitude: str | float | None = None
    activity: str = ""
    ica_activity: str = ""
    structure: str = ""
    legal_form: str = ""
    legal_form_text: str = ""
    membership_type: str = ""
    qualifiers: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Another spelling of a field from the same row (e.g. a geocoder's), used only to
    # repair characters lost to '?'.
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


Row = Record | Rejected


def read_csv_rows(
    path: Path, *, encoding: str = "utf-8-sig"
) -> Iterator[tuple[int, dict[str, str]] | Rejected]:
    """(first physical line of the row, {column: cell}) for each data row, or the row
    Rejected when its number of cells differs from the header's. Quoted cells may span
    lines, so the line is where the row starts, as a text editor shows it."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        last_line = reader.line_num
        for cells in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield Rejected(start, f"expected {len(header)} columns, found {len(cells)}")
            else:
                yield start, dict(zip(header, cells, strict=True))


def code_from_uri(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    return value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
