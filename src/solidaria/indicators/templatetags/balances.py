"""`{% published_balances org %}`: an organisation's published balances, for its page."""

from __future__ import annotations

from typing import Any

from django import template

from solidaria.indicators.assessment_queries import fraction, published_of
from solidaria.indicators.engine.ecg import display

register = template.Library()


@register.inclusion_tag("indicators/_balances.html", takes_context=True)
def published_balances(context: Any, organisation: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    balances = published_of(organisation, user)
    for b in balances:
        total = b.result.get("total")
        b.total_display = display(fraction(total), 0) if total else None
    return {"balances": balances}
