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
def remote_party(transfer: Any) -> str:
    """A payment between networks as its member sees it: "paid bob at network B"."""
    from solidaria.creditcommons.models import RemoteTransaction
    from solidaria.creditcommons.services import describe

    found = RemoteTransaction.objects.filter(transfer_id=transfer.pk).first()
    return describe(found) if found is not None else ""


@register.filter
def negate(amount: int | None) -> int | None:
    return None if amount is None else -amount
