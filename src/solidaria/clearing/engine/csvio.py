"""The CSV format of `solidaria clear`: read obligations, write them back with set-offs.

Input: a header `debtor,creditor,amount` then one obligation a row. Member ids are taken
as written (stripped; `007` and `7` are different members). The amount is a plain
positive decimal with at most `decimals` places, parsed exactly into minor units:
`12`, `12.5` and `12.50` are 1250 with two decimals; `1e3`, `-1`, `0`, `12.345` are
refused. Blank lines are skipped. Every error names the line (as in a text editor;
a quoted field may span lines) and the field.

Output: the same rows with `setoff,remaining` added, every amount formatted back with
exactly `decimals` places.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from solidaria.clearing.engine.model import IntArray, ObligationTable
from solidaria.clearing.engine.solver import ClearingResult

HEADER = ("debtor", "creditor", "amount")
OUT_HEADER = (*HEADER, "setoff", "remaining")
MAX_DECIMALS = 18

_DECIMAL = re.compile(r"(\d+)(?:\.(\d+))?")


class CsvError(ValueError):
    """A problem in the input CSV, at `line` (1-based) and `field` (a column name or '')."""

    def __init__(self, line: int, field: str, message: str) -> None:
        self.line = line
        self.field = field
        self.message = message
        where = f"line {line}" + (f", field {field}" if field else "")
        super().__init__(f"{where}: {message}")


def parse_amount(text: str, *, decimals: int) -> int:
    """A positive decimal string → minor units, exactly; ValueError otherwise."""
    raw = text.strip()
    scale: int = 10**decimals
    if raw.isdigit() and raw.isascii():
        value = int(raw) * scale
    else:
        match = _DECIMAL.fullmatch(raw)
        if match is None or not raw.isascii():
            raise ValueError(f"'{text}' is not a plain decimal number")
        whole, frac = match.group(1), match.group(2) or ""
        if len(frac) > decimals:
            raise ValueError(f"'{text}' has more than {decimals} decimal places")
        value = int(whole + frac.ljust(decimals, "0"))
    if value <= 0:
        raise ValueError(f"'{text}' is not positive")
    if value >= 2**63:
        raise ValueError(f"'{text}' is too large")
    return value


def format_amount(value: int, *, decimals: int) -> str:
    """Minor units → a decimal string with exactly `decimals` places (value ≥ 0)."""
    if decimals == 0:
        return str(value)
    whole, frac = divmod(value, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def _check_decimals(decimals: int) -> None:
    if not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals must be between 0 and {MAX_DECIMALS}")


def read_obligations(source: TextIO | Path | str, *, decimals: int = 2) -> ObligationTable:
    """Parse the CSV (a path or an open text file) into an `ObligationTable`."""
    _check_decimals(decimals)
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return _read(handle, decimals)
    return _read(source, decimals)


def _read(handle: TextIO, decimals: int) -> ObligationTable:
    reader = csv.reader(handle, strict=True)
    index: dict[str, int] = {}
    debtors: list[int] = []
    creditors: list[int] = []
    amounts: list[int] = []
    scale = 10**decimals
    header_seen = False
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if not header_seen:
                _check_header(row, line)
                header_seen = True
                continue
            if len(row) != 3:
                raise CsvError(line, "", f"expected 3 fields, found {len(row)}")
            debtor, creditor, text = row
            debtor = debtor.strip()
            creditor = creditor.strip()
            if not debtor:
                raise CsvError(line, "debtor", "missing")
            if not creditor:
                raise CsvError(line, "creditor", "missing")
            if debtor == creditor:
                raise CsvError(line, "creditor", f"'{creditor}' cannot owe itself")
            if text.isdigit() and text.isascii() and text[0] != "0":
                amount = int(text) * scale  # the common case, without the slow path
            else:
                if not text.strip():
                    raise CsvError(line, "amount", "missing")
                try:
                    amount = parse_amount(text, decimals=decimals)
                except ValueError as exc:
                    raise CsvError(line, "amount", str(exc)) from None
            if amount >= 2**63:
                raise CsvError(line, "amount", f"'{text}' is too large")
            debtors.append(index.setdefault(debtor, len(index)))
            creditors.append(index.setdefault(creditor, len(index)))
            amounts.append(amount)
    except csv.Error as exc:
        raise CsvError(reader.line_num, "", f"malformed CSV: {exc}") from None
    if not header_seen:
        raise CsvError(1, "", "empty file: expected the header debtor,creditor,amount")
    try:
        return ObligationTable.from_indexed(
            tuple(index),
            np.asarray(debtors, dtype=np.int64),
            np.asarray(creditors, dtype=np.int64),
            np.asarray(amounts, dtype=np.int64),
        )
    except ValueError as exc:  # only the total can still be out of range here
        raise CsvError(reader.line_num, "amount", str(exc)) from None


def _check_header(row: list[str], line: int) -> None:
    names = tuple(cell.strip().lower() for cell in row)
    if names != HEADER:
        raise CsvError(line, "", f"expected the header debtor,creditor,amount, found {row!r}")


def result_rows(result: ClearingResult, *, decimals: int = 2) -> Iterator[list[str]]:
    """Output rows (header first) as lists of strings."""
    _check_decimals(decimals)
    yield list(OUT_HEADER)
    table = result.table
    members = np.empty(table.member_count, dtype=object)
    members[:] = [str(m) for m in table.members]
    debtor = members[table.debtor].tolist()
    creditor = members[table.creditor].tolist()
    columns = [
        _format_column(values, decimals)
        for values in (table.amount, result.setoff, result.remaining)
    ]
    for row in zip(debtor, creditor, *columns, strict=True):
        yield list(row)


def _format_column(values: IntArray, decimals: int) -> list[str]:
    if decimals == 0:
        return [str(v) for v in values.tolist()]
    whole, frac = np.divmod(values, 10**decimals)
    return [f"{w}.{f:0{decimals}d}" for w, f in zip(whole.tolist(), frac.tolist(), strict=True)]


def write_result(result: ClearingResult, target: TextIO | Path | str, *, decimals: int = 2) -> None:
    """Write the input rows plus `setoff,remaining` as CSV (to a path or an open file)."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(result_rows(result, decimals=decimals))
        return
    csv.writer(target).writerows(result_rows(result, decimals=decimals))


def result_csv(result: ClearingResult, *, decimals: int = 2) -> str:
    buffer = io.StringIO()
    write_result(result, buffer, decimals=decimals)
    return buffer.getvalue()
