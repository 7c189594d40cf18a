"""What every directory format reader yields: records (one per data row, with its line
number) or rejections (a row that could not even be read). A file that cannot be read at
all (not UTF-8 text, not JSON, a CSV cell longer than the csv module reads...) raises
FileRefused naming the line or JSON path."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solidaria.core.textfiles import (
    FIELD_LIMIT,
    JsonFileError,
    TextFileError,
    decode,
    long_cell,
    parse_json,
    too_long,
)


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
    where: str = ""  # JSON formats: the record's JSON path ("$.features[3]")


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    field: str = ""  # the field at fault, when one is
    where: str = ""  # JSON formats: the JSON path; else "" and the line says where

    @property
    def location(self) -> str:
        return self.where or f"line {self.line}"


class FileRefused(ValueError):
    """A file no row of which can be trusted: `where` is "line N" or a JSON path."""

    def __init__(self, where: str, message: str, *, field: str = "") -> None:
        self.where = where
        self.field = field
        self.message = message
        super().__init__(f"{where}: " + (f"{field}: " if field else "") + message)


Row = Record | Rejected


def read_csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]] | Rejected]:
    """(first physical line of the row, {column: cell}) for each data row, or the row
    Rejected when its number of cells differs from the header's. Quoted cells may span
    lines, so the line is where the row starts, as a text editor shows it. UTF-16, binary
    data, text that is not UTF-8 and cells longer than the csv module reads raise
    FileRefused."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    try:
        header = next(reader, [])
        if not any(h.strip() for h in header):
            raise FileRefused("line 1", "the file is empty: expected a header row")
        last_line = reader.line_num
        for cells in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                reason = f"expected {len(header)} columns, found {len(cells)}"
                yield Rejected(start, reason, field="row")
            else:
                yield start, dict(zip(header, cells, strict=True))
    except csv.Error as exc:
        line = reader.line_num
        if too_long(exc):
            name = long_cell(text, line, header)
            raise FileRefused(
                f"line {line}", f"longer than {FIELD_LIMIT:,} characters", field=name
            ) from None
        raise FileRefused(f"line {line}", f"malformed CSV: {exc}") from None


def read_text(path: Path) -> str:
    """The file's UTF-8 text, or FileRefused with the line at fault."""
    try:
        return decode(path.read_bytes())
    except TextFileError as exc:
        raise FileRefused(f"line {exc.line}", exc.message) from None


def read_json(path: Path) -> Any:
    """The file's JSON (NaN, Infinity, 40+ digit numbers and deep nesting refused), or
    FileRefused with the line or "$"."""
    try:
        return parse_json(read_text(path))
    except JsonFileError as exc:
        raise FileRefused(exc.where, exc.message) from None


def code_from_uri(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    return value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
