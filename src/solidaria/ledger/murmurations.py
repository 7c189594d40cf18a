"""Offers and wants as Murmurations profiles (offers_wants_schema-v0.1.0), so other
networks' maps and directories can find them. Contact goes through our page, never an
e-mail address."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from solidaria.ledger.models import Listing

SCHEMA = "offers_wants_schema-v0.1.0"


def profile(listing: Listing, *, base_url: str) -> dict[str, Any]:
    url = base_url.rstrip("/") + reverse("ledger:listing", args=[listing.pk])
    data: dict[str, Any] = {
        "linked_schemas": [SCHEMA],
        "exchange_type": listing.kind,
        "item_type": listing.item_type,
        "transaction_type": ["buy-sell"] if listing.price_minor is not None else ["receive-donate"],
        "tags": sorted({t for t in (listing.category.strip(), listing.place.strip()) if t}),
        "title": listing.title,
        "description": listing.description,
        "details_url": url,
        "geographic_scope": "local",
        "contact_details": {"contact_form": url},
    }
    if listing.latitude is not None and listing.longitude is not None:
        data["geolocation"] = {"lat": float(listing.latitude), "lon": float(listing.longitude)}
    if listing.expires_at is not None:
        data["expires_at"] = int(listing.expires_at.timestamp())
    return data


def profiles(listings: Iterable[Listing], *, base_url: str) -> list[dict[str, Any]]:
    return [profile(li, base_url=base_url) for li in listings]
