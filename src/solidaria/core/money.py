"""Amounts are integers in minor units; this module is the one place that parses and
formats them. Pure Python (no Django) so engines and CLIs can use it.

>>> parse_minor("12.5", exponent=2)
1250
>>> format_minor(-13000, exponent=2)
'-130.00'
>>> parse_minutes("1:30")
90
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"^(?P<sign>[+-]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")


class AmountError(ValueError):
    """An amount string that is not an exact decimal with the allowed number of places."""


MAX_AMOUNT_LENGTH = 40


def parse_minor(text: str, *, exponent: int, allow_negative: bool = False) -> int:
    """Parse a decimal string exactly into minor units (`exponent` decimal places).

    Rejects floats' exponent notation, thousands separators and more decimal places than
    the unit has, rather than rounding: a payment of 1.005 in a cents currency is a mistake.
    """
    raw = text.strip()
    if len(raw) > MAX_AMOUNT_LENGTH:  # before int(), which refuses 4,300+ digits with a crash
        raise AmountError(f"'{raw[:20]}...' is too long for an amount")
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


_CLOCK = re.compile(r"^(?P<h>\d+):(?P<m>[0-5]\d)(?:\s*h)?$")
_HOURS = re.compile(r"^(?P<h>\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?)?$")
_MINUTES = re.compile(r"^(?P<m>\d+)\s*(?:m|min|mins|minutes?)$")
_H_AND_M = re.compile(r"^(?P<h>\d+)\s*(?:h|hr|hrs|hours?)\s*(?P<m>\d+)\s*(?:m|min|mins|minutes?)?$")
_PLAIN = re.compile(r"^\d+$")


def parse_minutes(text: str) -> int:
    """A time-bank amount in minutes, as people write it.

    `1:30`, `1:30 h`, `1.5`, `1.5 h`, `2h 15min`, `90 min` and a plain `90` (minutes, the
    unit itself) are accepted; a decimal number without a unit is hours. Anything that is
    not a whole number of minutes (`1.51 h`) is refused, never rounded.

    >>> [parse_minutes(t) for t in ("1:30", "1.5", "90 min", "90", "2h 15min", "1:30 h")]
    [90, 90, 90, 90, 135, 90]
    """
    raw = " ".join(text.strip().lower().split())
    if _PLAIN.match(raw):
        return int(raw)
    if match := _CLOCK.match(raw):
        return int(match.group("h")) * 60 + int(match.group("m"))
    if match := _MINUTES.match(raw):
        return int(match.group("m"))
    if match := _H_AND_M.match(raw):
        return int(match.group("h")) * 60 + int(match.group("m"))
    if match := _HOURS.match(raw):
        whole, _dot, frac = match.group("h").partition(".")
        scaled = int(whole) * 60 * 10 ** len(frac) + int(frac or "0") * 60
        minutes, rest = divmod(scaled, 10 ** len(frac))
        if rest:
            raise AmountError(f"'{text}' is not a whole number of minutes")
        return minutes
    raise AmountError(f"'{text}' is not a time (write 1:30, 1.5 h or 90 min)")
