"""What the network publishes: its own profile, each organisation's, each offer's."""

from __future__ import annotations

import pytest
from django.test import Client

from solidaria.accounts.factories import make_member
from solidaria.directory.exporters.murmurations import errors
from solidaria.directory.factories import make_organisation
from solidaria.ledger.listings import listing_create

pytestmark = pytest.mark.django_db


def test_the_network_profile_is_a_valid_organisation_profile() -> None:
    make_organisation("Mill")
    response = Client().get("/murmurations/network.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    profile = response.json()
    assert errors(profile) == []
    assert profile["name"] == "Solidaria demo network"
    assert profile["linked_schemas"] == ["organizations_schema-v1.0.0"]
    assert "a solidarity-economy network of 1 organisations" in profile["description"].lower()


def test_federated_entries_are_not_published_as_ours() -> None:
    ours = make_organisation("Mill")
    theirs = make_organisation("Theirs", source_network="Other network")
    assert Client().get(f"/murmurations/organisations/{ours.pk}.json").status_code == 200
    assert Client().get(f"/murmurations/organisations/{theirs.pk}.json").status_code == 404


def test_each_active_offer_has_a_profile_url_linked_from_its_page() -> None:
    ada = make_member()
    listing = listing_create(
        actor=ada, kind="offer", title="Bread", category="food", description="Sourdough"
    )
    url = f"/murmurations/offers-wants/{listing.pk}.json"
    profile = Client().get(url).json()
    assert profile["linked_schemas"] == ["offers_wants_schema-v0.1.0"]
    assert profile["title"] == "Bread"
    assert profile["details_url"].endswith(f"/ledger/offers-wants/{listing.pk}/")
    client = Client()
    client.force_login(ada)
    assert url in client.get(f"/ledger/offers-wants/{listing.pk}/").content.decode()
    assert Client().get("/murmurations/offers-wants/99999.json").status_code == 404
