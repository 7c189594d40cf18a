"""`{{ amount|money:currency }}`: minor units shown in the currency's own format."""

from __future__ import annotations

from typing import Any

from django import template

from solidaria.core.money import format_minor

register = template.Library()


@register.filter
def money(amount: Any, currency: Any = None) -> str:
    if amount is None or amount == "":
        return ""
    if currency is not None and hasattr(currency, "format"):
        return str(currency.format(int(amount)))
    return format_minor(int(amount), exponent=2)
