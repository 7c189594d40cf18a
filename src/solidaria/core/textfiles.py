"""Reading the text files people hand us (imports, CLI verbs) and writing CSV they open.

Pure Python, no Django: the engines' readers and the CLI front-ends use it too.

Reading: `decode` turns bytes into text or says, with the line, why it cannot: UTF-16
(a spreadsheet's "Unicode text"), binary data, bytes that are not UTF-8. A UTF-8
byte-order mark is dropped. `long_cell` names the column of a cell the csv module
refused as too long, and `parse_json` reads JSON refusing what Python's reader lets through
or crashes on (NaN, Infinity, numbers of thousands of digits, nesting too deep for it;
the error names the line where nesting passes `MAX_JSON_DEPTH`).

Writing: `safe_cell` neutralises a cell a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, tab or CR first): every CSV export goes through it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

FIELD_LIMIT = csv.field_size_limit()
"""The csv module's longest field (131,072 characters unless someone changed it)."""
MAX_JSON_DEPTH = 64
MAX_NUMBER_DIGITS = 40
"""Longest number (digits) a file may hold: far beyond any amount, far below Python's
4,300-digit limit on reading integers."""
_BOMS_16 = (b"\xff\xfe", b"\xfe\xff")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class TextFileError(ValueError):
    """Why a file cannot be read as text, with the 1-based line (0: the whole file)."""

    def __init__(self, line: int, message: str, *, field: str = "") -> None:
        self.line = line
        self.field = field
        self.message = message
        where = f"line {line}: " if line else ""
        super().__init__(where + (f"{field}: " if field else "") + message)


def decode(data: bytes, *, latin1_fallback: bool = False) -> str:
    """UTF-8 text of `data` (without a byte-order mark), or TextFileError saying why not.

    `latin1_fallback`: bytes that are not UTF-8 are read as Latin-1 (old BLT files), but
    UTF-16 and binary data are still refused."""
    if data.startswith(_BOMS_16):
        raise TextFileError(1, "UTF-16 text; save the file as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TextFileError(
            data.count(b"\n", 0, nul) + 1, "binary data (a NUL byte), not a text file"
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        if latin1_fallback:
            return data.decode("latin-1")
        line = data.count(b"\n", 0, exc.start) + 1
        raise TextFileError(
            line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def uploaded_text(data: bytes) -> str:
    """`decode` for pages and services: ValidationFailed (which a page shows on its form)
    naming the line, instead of TextFileError."""
    try:
        return decode(data)
    except TextFileError as exc:
        raise as_validation_failed(exc) from None


def csv_rows(
    reader: Iterator[list[str]],
    text: str,
    header: Sequence[str] = (),
    *,
    as_error: Callable[[TextFileError], Exception] | None = None,
) -> Iterator[list[str]]:
    """The rows of a csv.reader over `text`; a row the csv module cannot read (a cell
    longer than it reads, a NUL...) raises TextFileError naming the line and the field
    (or what `as_error` makes of it, e.g. a ValidationFailed for a service)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            if too_long(exc):
                field = long_cell(text, line, header)
                error = TextFileError(line, f"longer than {FIELD_LIMIT:,} characters", field=field)
            else:
                error = TextFileError(line, f"malformed CSV: {exc}")
            raise (as_error(error) if as_error else error) from None
        yield row


def as_validation_failed(error: TextFileError) -> Exception:
    from solidaria.core.errors import ValidationFailed

    return ValidationFailed(str(error), field="file")


def read_text(path: str, *, latin1_fallback: bool = False) -> str:
    """The text of the file at `path` (OSError if it cannot be opened)."""
    with open(path, "rb") as handle:
        return decode(handle.read(), latin1_fallback=latin1_fallback)


def long_cell(text: str, line: int, header: Sequence[str], *, delimiter: str = ",") -> str:
    """The column whose cell on physical `line` of `text` is longer than the csv module
    reads ("" if none is): to name the field of csv's "field larger than field limit"."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    for i, cell in enumerate(lines[line - 1].split(delimiter)):
        if len(cell) > FIELD_LIMIT:
            return header[i] if i < len(header) else f"column {i + 1}"
    return ""


def too_long(error: csv.Error) -> bool:
    return "field larger than field limit" in str(error)


def long_number(text: str) -> bool:
    """More digits than any amount has: refused before Python tries to read it."""
    return sum(ch.isdigit() for ch in text) > MAX_NUMBER_DIGITS


# ---------------------------------------------------------------- JSON


class JsonFileError(ValueError):
    """JSON that cannot be used, with where: `path` a JSON path ("$.features[3]") or
    `line` for a syntax error."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of {len(text.lstrip('-'))} digits")
    return int(text)


def _float(text: str) -> float:
    if long_number(text):
        raise ValueError(f"a number of {sum(ch.isdigit() for ch in text)} digits")
    return float(text)


def _depth(text: str) -> tuple[int, int]:
    """(deepest nesting, line where it first goes past MAX_JSON_DEPTH or 0), ignoring
    brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return depth, line
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest, 0


def parse_json(text: str) -> Any:
    """JSON with the hostile parts refused: NaN and Infinity, numbers of more than
    MAX_NUMBER_DIGITS digits, nesting too deep for Python's reader. JsonFileError names
    the line (or "$" for the whole document)."""
    if not text.strip():
        raise JsonFileError("$", "the file is empty: no JSON to read")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise JsonFileError(f"line {exc.lineno}", f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        _deepest, line = _depth(text)
        where = f"line {line}" if line else "$"
        raise JsonFileError(where, f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise JsonFileError("$", f"not usable JSON: {exc}") from None


def json_path(*parts: str | int) -> str:
    """ "$", "features", 3, "properties" -> "$.features[3].properties"."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# ---------------------------------------------------------------- writing CSV


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a string starting with =, +, -, @, a tab or a
    CR gets a leading apostrophe (OWASP's advice against CSV formula injection). A plain
    number ("-12.50") and non-strings pass unchanged, so negative amounts stay numbers."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(cell) for cell in row]


class SafeWriter:
    """A csv.writer whose every cell goes through `safe_cell`: what CSV exports use."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(handle: Any, **options: Any) -> SafeWriter:
    return SafeWriter(handle, **options)
