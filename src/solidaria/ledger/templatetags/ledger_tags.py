from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def money(amount: int | None, currency: Any) -> str:
    """Minor units as the currency shows them: 1250 → '12.50', 90 minutes → '1:30 h'."""
    if amount is None:
        return "—"
    return str(currency.format(amount))


@register.filter
def negate(amount: int | None) -> int | None:
    return None if amount is None else -amount
