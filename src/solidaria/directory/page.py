"""What an organisation's page shows beyond its directory entry, as it chooses to
publish: who runs it, its co-op's facts, its offers and wants. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum

from solidaria.core.money import format_minor
from solidaria.core.permissions import allowed
from solidaria.directory.models import Organisation


@dataclass(frozen=True)
class ClassCount:
    name: str
    members: int


@dataclass(frozen=True)
class CoopFacts:
    coop: Any
    classes: list[ClassCount]
    members: int
    capital: str  # formatted in the co-op's currency
    currency_code: str


def coop_of(org: Organisation) -> Any:
    from solidaria.governance.models import Cooperative

    return Cooperative.objects.filter(organisation=org, is_active=True).first()


def coop_facts(user: Any, org: Organisation) -> CoopFacts | None:
    """Members per class and share capital subscribed, when the organisation publishes
    them and the co-op's visibility lets this reader see it (`governance.coop.view`)."""
    from solidaria.governance.models import CapitalEntry, Membership

    coop = coop_of(org)
    if coop is None or not org.shows_coop_facts or not allowed(user, "governance.coop.view", coop):
        return None
    active = Q(memberships__status=Membership.Status.ACTIVE)
    classes = [
        ClassCount(c.name, c.members)
        for c in coop.classes.annotate(members=Count("memberships", filter=active)).order_by("name")
    ]
    capital = (
        CapitalEntry.objects.filter(coop=coop, share_type__isnull=False).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    currency = coop.currency
    return CoopFacts(
        coop=coop,
        classes=classes,
        members=sum(c.members for c in classes),
        capital=currency.format(capital) if currency else format_minor(capital, exponent=2),
        currency_code=currency.code if currency else "",
    )


def listings_of(org: Organisation) -> Any:
    """The organisation's active offers and wants, when it publishes them."""
    from solidaria.ledger.models import Listing

    if not org.shows_listings:
        return Listing.objects.none()
    return Listing.objects.filter(organisation=org, is_active=True).order_by("kind", "title")
