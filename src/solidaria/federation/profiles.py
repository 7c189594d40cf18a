"""What this network publishes for Murmurations: each confirmed organisation's profile,
a profile of the network itself (organizations_schema) and each active offer or want
(offers_wants_schema), each at a stable URL under the instance's public address."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.urls import reverse

from solidaria.directory.exporters import murmurations
from solidaria.directory.models import Organisation
from solidaria.directory.taxonomy import labels
from solidaria.ledger import murmurations as offers_wants
from solidaria.ledger.models import Listing

CONCEPT_SCHEMES = ["activities-ica", "activities", "organisational-structure"]


def public_url() -> str:
    return str(settings.SOLIDARIA["PUBLIC_URL"]).rstrip("/")


def network_name() -> str:
    return str(settings.SOLIDARIA["NETWORK_NAME"])


def node_id(profile_url: str) -> str:
    """The index's id of a profile: the sha-256 of its URL."""
    return hashlib.sha256(profile_url.encode("utf-8")).hexdigest()


def organisation_url(org_id: int) -> str:
    return public_url() + reverse("federation:murmurations-organisation", args=[org_id])


def network_url() -> str:
    return public_url() + reverse("federation:murmurations-network")


def listing_url(listing_id: int) -> str:
    return public_url() + reverse("federation:murmurations-listing", args=[listing_id])


def is_published(org: Organisation) -> bool:
    """Our own confirmed entries are published; entries aggregated from others are not."""
    return org.status == Organisation.Status.CONFIRMED and org.source_network is None


def is_listing_published(listing: Listing) -> bool:
    """An offer or want is published while it is active (its profile URL answers 404 after)."""
    return listing.is_active


def organisation_profile(org: Organisation) -> dict[str, Any]:
    return murmurations.profile(org, tag_labels=labels(CONCEPT_SCHEMES, "en"))


def network_profile() -> dict[str, Any]:
    """The network as an organisation: its name, address and what it holds."""
    count = Organisation.objects.filter(
        status=Organisation.Status.CONFIRMED, source_network__isnull=True
    ).count()
    base = public_url()
    return {
        "linked_schemas": [murmurations.SCHEMA_NAME],
        "name": network_name()[:200],
        "primary_url": base + "/",
        "description": (
            f"A solidarity-economy network of {count} organisations, with a directory, "
            "mutual credit, offers and wants. Directory: "
            f"{base}{reverse('directory:list')}"
        ),
        "tags": ["solidarity economy", "network"],
        "status": "active",
    }


def listing_profile(listing: Listing) -> dict[str, Any]:
    return offers_wants.profile(listing, base_url=public_url())


def profile_errors(profile: dict[str, Any]) -> list[str]:
    return murmurations.errors(profile)
