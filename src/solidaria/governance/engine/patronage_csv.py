"""Read PATRONAGE.csv (`member,hours,purchases`) and money amounts, exactly."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from solidaria.core.textfiles import FIELD_LIMIT, long_cell, too_long
from solidaria.governance.engine.allocation import Patronage

HEADER = ("member", "hours", "purchases")


class InputError(ValueError):
    """Bad input with the 1-based line and the field at fault."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(f"line {line}: {field}: {message}")
        self.line = line
        self.field = field


def parse_decimal(text: str) -> Fraction:
    """'12.50' -> Fraction(25, 2) exactly; refuses floats' friends (nan, inf, 1e3)."""
    cleaned = text.strip()
    if not cleaned or any(ch in cleaned.lower() for ch in "einf"):
        raise ValueError(f"{text!r} is not a decimal number")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a decimal number") from None
    return Fraction(number)


def parse_cents(text: str) -> int:
    """A money amount such as '1234.56' as integer cents; more than 2 decimals refused."""
    value = parse_decimal(text) * 100
    if value.denominator != 1:
        raise ValueError(f"{text!r} has more than two decimals")
    return int(value)


MAX_MEMBER_LENGTH = 200
MAX_DIGITS = 40
_NUMBER = re.compile(r"\+?(\d*)(?:\.(\d*))?")


@dataclass(frozen=True, slots=True)
class PatronageColumns:
    """PATRONAGE.csv as columns: each hours and purchases value is an integer in units of
    10^-decimals of the column (so `hours[i] / 10**hours_decimals` is exact)."""

    members: list[str]
    hours: list[int]
    purchases: list[int]
    hours_decimals: int
    purchases_decimals: int
    lines: list[int]

    def rows(self) -> list[Patronage]:
        h, p = 10**self.hours_decimals, 10**self.purchases_decimals
        return [
            Patronage(m, Fraction(hv, h), Fraction(pv, p))
            for m, hv, pv in zip(self.members, self.hours, self.purchases, strict=True)
        ]


def _cell_value(cell: str, line: int, field: str) -> tuple[int, int]:
    """(digits as an integer, decimals) of a non-negative decimal; blank is 0."""
    text = cell.strip()
    if not text:
        return 0, 0
    whole, dot, frac = text.partition(".")
    if (
        len(text) <= MAX_DIGITS
        and whole.isdigit()
        and whole.isascii()
        and (not dot or (frac.isdigit() and frac.isascii()))
    ):
        return int(whole + frac), len(frac)  # the common case: 12 or 12.50
    if len(text) > MAX_DIGITS:
        raise InputError(line, field, f"{text[:20]!r}... is too long for a number")
    match = _NUMBER.fullmatch(text)
    if match is None or not (match.group(1) or match.group(2)):
        try:
            negative = parse_decimal(text) < 0
        except ValueError as exc:
            raise InputError(line, field, str(exc)) from None
        if negative:
            raise InputError(line, field, f"negative patronage {text}")
        raise InputError(line, field, f"{cell!r} is not a decimal number")
    whole, frac = match.group(1), match.group(2) or ""
    return int(whole + frac or "0"), len(frac)


def read_patronage(text: str) -> PatronageColumns:
    """Read PATRONAGE.csv (`member,hours,purchases`): blank hours or purchases mean 0;
    negative amounts, duplicate members and empty files are refused (InputError with the
    line and the field). Linear in the file: a million rows read in a few seconds."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    members: list[str] = []
    cells: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], [])
    lines: list[int] = []
    seen: dict[str, int] = {}
    header_seen = False
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if not header_seen:
                names = tuple(cell.strip().lower() for cell in record)
                if names != HEADER:
                    got = ",".join(names)
                    got = got if len(got) < 80 else got[:80] + "..."
                    raise InputError(line, "header", f"expected {','.join(HEADER)}, got {got}")
                header_seen = True
                continue
            if len(record) != 3:
                raise InputError(line, "row", f"expected 3 fields, got {len(record)}")
            member = record[0].strip()
            if not member:
                raise InputError(line, "member", "empty")
            if len(member) > MAX_MEMBER_LENGTH:
                raise InputError(line, "member", f"longer than {MAX_MEMBER_LENGTH} characters")
            for column, field, cell in zip(cells, HEADER[1:], record[1:], strict=True):
                column.append(_cell_value(cell, line, field))
            first = seen.setdefault(member, line)
            if first != line:
                raise InputError(line, "member", f"{member!r} listed twice (first on line {first})")
            members.append(member)
            lines.append(line)
    except csv.Error as exc:
        line = reader.line_num
        if too_long(exc):
            field = long_cell(text, line, HEADER) or "row"
            raise InputError(line, field, f"longer than {FIELD_LIMIT:,} characters") from None
        raise InputError(line, "row", f"malformed CSV: {exc}") from None
    if not header_seen:
        raise InputError(1, "header", f"missing header {','.join(HEADER)}")
    if not members:
        raise InputError(1, "member", "no members: the file has only the header")
    scaled = []
    for column in cells:
        decimals = max((d for _, d in column), default=0)
        scaled.append(([v * 10 ** (decimals - d) for v, d in column], decimals))
    (hours, hd), (purchases, pd) = scaled
    return PatronageColumns(members, hours, purchases, hd, pd, lines)


def parse_patronage_csv(text: str) -> list[Patronage]:
    """Rows of patronage (see `read_patronage`), as exact `Patronage` rows."""
    return read_patronage(text).rows()
