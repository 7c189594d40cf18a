"""Whole numbers from the query string of a page (`?page=`, `?comments=`, `?year=`).

People and crawlers edit URLs: `?page=99999999999999999999`, `?page=-1`, `?year=1e9`,
`?page=abc`. A free query parameter never reaches a paginator, a date or the database as
it came: `bounded_int` reads it as ASCII digits with an optional sign, within
[low, high], and otherwise falls back to the default (a page is a view, not a form: the
person still sees the first or the last page rather than an error).
"""

from __future__ import annotations

import re

from django.http import HttpRequest

MAX_PAGE = 1_000_000
_INTEGER = re.compile(r"([+-]?)([0-9]+)")


def bounded_int(raw: object, *, default: int, low: int, high: int) -> int:
    """`raw` as an integer clamped to [low, high]; `default` when it is not a plain
    whole number (empty, junk, non-ASCII digits, exponent or decimal notation). A number
    of more than 18 digits is clamped without being converted (it could be 10 MB long).
    """
    found = _INTEGER.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if found is None:
        return default
    sign, digits = found.groups()
    if len(digits.lstrip("0")) > 18:
        return low if sign == "-" else high
    return min(high, max(low, int(sign + digits)))


def page_number(request: HttpRequest, name: str = "page") -> int:
    """The page number asked for in `?<name>=`, 1 when absent or junk, at most MAX_PAGE
    (a paginator then shows its last page)."""
    return bounded_int(request.GET.get(name), default=1, low=1, high=MAX_PAGE)
