"""Amounts are integers in minor units; this module is the one place that parses and
formats them. Pure Python (no Django) so engines and CLIs can use it.

>>> parse_minor("12.5", exponent=2)
1250
>>> format_minor(-13000, exponent=2)
'-130.00'
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"^(?P<sign>[+-]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")


class AmountError(ValueError):
    """An amount string that is not an exact decimal with the allowed number of places."""


def parse_minor(text: str, *, exponent: int, allow_negative: bool = False) -> int:
    """Parse a decimal string exactly into minor units (`exponent` decimal places).

    Rejects floats' exponent notation, thousands separators and more decimal places than
    the unit has, rather than rounding: a payment of 1.005 in a cents currency is a mistake.
    """
    raw = text.strip()
    match = _DECIMAL.match(raw)
    if not match:
        raise AmountError(f"'{text}' is not a decimal number")
    frac = match.group("frac") or ""
    if len(frac.rstrip("0")) > exponent:
        raise AmountError(f"'{text}' has more than {exponent} decimal places")
    frac = (frac + "0" * exponent)[:exponent] if exponent else ""
    value = int(match.group("int") + frac) if exponent else int(match.group("int"))
    if match.group("sign") == "-":
        value = -value
    if value < 0 and not allow_negative:
        raise AmountError(f"'{text}' is negative")
    return value


def format_minor(amount: int, *, exponent: int) -> str:
    """Format minor units as a plain decimal string with exactly `exponent` places."""
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def format_minutes(minutes: int) -> str:
    """Time-bank amounts: 90 → '1:30 h'."""
    sign = "-" if minutes < 0 else ""
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{mins:02d} h"
