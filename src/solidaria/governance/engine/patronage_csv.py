"""Read PATRONAGE.csv (`member,hours,purchases`) and money amounts, exactly."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from fractions import Fraction

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


def parse_patronage_csv(text: str) -> list[Patronage]:
    """Rows of patronage; blank hours or purchases mean 0; negative amounts are refused."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    rows: list[Patronage] = []
    header_seen = False
    for record in reader:
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if not header_seen:
            names = tuple(cell.strip().lower() for cell in record)
            if names != HEADER:
                raise InputError(
                    line, "header", f"expected {','.join(HEADER)}, got {','.join(names)}"
                )
            header_seen = True
            continue
        if len(record) != 3:
            raise InputError(line, "row", f"expected 3 fields, got {len(record)}")
        member = record[0].strip()
        if not member:
            raise InputError(line, "member", "empty")
        values = []
        for field, cell in zip(HEADER[1:], record[1:], strict=True):
            try:
                value = parse_decimal(cell) if cell.strip() else Fraction(0)
            except ValueError as exc:
                raise InputError(line, field, str(exc)) from None
            if value < 0:
                raise InputError(line, field, f"negative patronage {cell.strip()}")
            values.append(value)
        if any(r.member == member for r in rows):
            raise InputError(line, "member", f"{member!r} listed twice")
        rows.append(Patronage(member, values[0], values[1]))
    if not header_seen:
        raise InputError(1, "header", f"missing header {','.join(HEADER)}")
    return rows
