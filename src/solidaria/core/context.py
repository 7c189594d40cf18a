from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, blurb): apps appear in the navigation once their pages exist.
APP_NAV = [
    ("ledger:home", _("Ledger"), _("Mutual credit, time bank, offers and wants")),
    ("clearing:home", _("Clearing"), _("Set off debts between members")),
    ("budgeting:home", _("Budgeting"), _("Participatory budgets")),
    ("governance:home", _("Governance"), _("Members, shares, decisions and surplus")),
    ("indicators:reports", _("Indicators"), _("Wellbeing beyond GDP: the network's yearly report")),
]


def _nav() -> list[dict[str, object]]:
    items = []
    for name, label, blurb in APP_NAV:
        try:
            items.append({"url": reverse(name), "label": label, "blurb": blurb})
        except NoReverseMatch:
            continue
    return items


def site(request: HttpRequest) -> dict[str, object]:
    return {"network_name": settings.SOLIDARIA["NETWORK_NAME"], "app_nav": _nav()}
