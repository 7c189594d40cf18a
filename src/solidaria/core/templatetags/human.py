"""Numbers as people read them: exact fractions rounded for display only.

`{{ value|decimal }}` 9/2 → "4.5"; `{{ value|percent }}` 2937893/9506430 → "30.90 %";
`{{ amount|amount:currency }}` 450914 → "4509.14 EUR-COOP"; `{{ minutes|hours }}` → "1:30 h".
The stored values stay exact; these never feed a computation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django import template

from solidaria.core.money import format_minor, format_minutes

register = template.Library()


def as_fraction(value: Any) -> Fraction | None:
    """An int, Fraction, Decimal or a string such as "9/2" or "4.00000"; None otherwise."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        return None


def display_decimal(value: Any, places: int = 2, *, keep_zeros: bool = False) -> str:
    """Round half up to `places` decimals; trailing zeros go unless `keep_zeros`."""
    exact = as_fraction(value)
    if exact is None:
        return "" if value is None else str(value)
    quantum = Decimal(1).scaleb(-places)
    shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )
    text = f"{shown:f}"
    if not keep_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def display_percent(value: Any, places: int = 2) -> str:
    """A share (0..1) as a percentage: 1/2 → "50 %", 2937893/9506430 → "30.90 %"."""
    exact = as_fraction(value)
    if exact is None:
        return ""
    pct = exact * 100
    if pct and display_decimal(abs(pct), places) == "0":
        smallest = display_decimal(Fraction(1, 10**places), places)
        return f"< {smallest} %" if pct > 0 else f"> -{smallest} %"
    is_rounded = (pct * 10**places).denominator != 1
    return f"{display_decimal(pct, places, keep_zeros=is_rounded)} %"


@register.filter
def decimal(value: Any, places: int = 2) -> str:
    return display_decimal(value, int(places))


@register.filter
def percent(value: Any, places: int = 2) -> str:
    return display_percent(value, int(places))


@register.filter
def amount(value: Any, currency: Any = None) -> str:
    """Minor units in the currency's own format, followed by its code."""
    if value is None or value == "":
        return ""
    if currency is not None and hasattr(currency, "format"):
        return f"{currency.format(int(value))} {currency.code}"
    return format_minor(int(value), exponent=2)


@register.filter
def hours(minutes: Any) -> str:
    if minutes is None or minutes == "":
        return ""
    return format_minutes(int(minutes))


@register.filter
def account_name(name: Any) -> str:
    """Ledger account names the co-ops create ("coop:<slug>:<fund>") as people say them."""
    from solidaria.governance.labels import ledger_account_label

    return ledger_account_label(str(name))


@register.filter
def category_name(category: Any) -> str:
    from solidaria.governance.labels import ledger_category_label

    return ledger_category_label(str(category or ""))


@register.filter
def rule_name(rule: Any) -> str:
    """A budgeting rule code, or a process, as the rule's name."""
    from solidaria.budgeting.labels import rule_name as name

    return name(rule)


@register.filter
def clearing_engine(code: Any) -> str:
    from solidaria.clearing.labels import engine_name

    return engine_name(str(code or ""))
