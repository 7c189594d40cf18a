"""Edits of confirmed entries wait for a steward: the public keeps the confirmed version."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.core.errors import ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.directory import clustering, services
from solidaria.directory.exporters.run import export
from solidaria.directory.models import Organisation, PendingEdit
from solidaria.directory.search import SearchParams, search

pytestmark = pytest.mark.usefixtures("taxonomies")
API = "/api/directory/organisations"
WORLD = clustering.BBox(-180, -90, 180, 90)


@pytest.fixture
def own(make_org: Callable[..., Organisation], member: Any) -> Organisation:
    """A confirmed entry the member proposed."""
    return make_org(
        "Riverside Bakery",
        created_by=member,
        country="GB",
        locality="London",
        latitude=51.5,
        longitude=-0.1,
        ica_activity="ICA260",
        structure="OS130",
    )


def _form_data(org: Organisation, **changes: Any) -> dict[str, Any]:
    data = {k: getattr(org, k) for k in services.EDITABLE_FIELDS if k != "licence"}
    data.update(changes)
    return {k: ("" if v is None else v) for k, v in data.items()}


def _public_view(client: Client, org: Organisation, tmp_path: Path) -> dict[str, Any]:
    """What anybody sees of the entry: page, API, search, facets, map, CSV, Murmurations."""
    export(fmt="csv", out=tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        rows = {int(r["id"]): r for r in csv.DictReader(handle)}
    everything = search(SearchParams())
    return {
        "page": client.get(f"/directory/organisations/{org.pk}/").content.decode(),
        "api": client.get(f"{API}/{org.pk}").json(),
        "found_bread": [o.pk for o in search(SearchParams(q="bread")).results],
        "found_riverside": [o.name for o in search(SearchParams(q="riverside")).results],
        "countries": [(f.code, f.count) for f in everything.facets["country"]],
        "clusters": clustering.clusters(WORLD, 16),
        "csv_name": rows[org.pk]["name"],
        "murmurations": client.get(
            reverse("federation:murmurations-organisation", args=[org.pk])
        ).json()["name"],
    }


def test_web_edit_of_confirmed_entry_waits_for_a_steward(
    own: Organisation,
    member_client: Client,
    steward_client: Client,
    client: Client,
    tmp_path: Path,
) -> None:
    # given a confirmed entry as the public sees it
    before = _public_view(client, own, tmp_path)
    assert before["csv_name"] == "Riverside Bakery"
    # when its proposer edits it through the page
    response = member_client.post(
        f"/directory/organisations/{own.pk}/edit/",
        _form_data(own, name="Riverside Bread", country="Deutschland", latitude=52.5),
    )
    # then the edit is pending and nothing public changed
    assert response.status_code == 302
    edit = PendingEdit.objects.get(organisation=own)
    assert edit.status == "pending"
    assert edit.values == {"name": "Riverside Bread", "country": "DE", "latitude": 52.5}
    own.refresh_from_db()
    assert (own.name, own.country, own.latitude) == ("Riverside Bakery", "GB", 51.5)
    after = _public_view(client, own, tmp_path)
    assert after["api"] == before["api"]
    assert after["api"]["pending_edit"] is None
    assert after["found_bread"] == []
    assert after["found_riverside"] == ["Riverside Bakery"]
    assert after["countries"] == before["countries"] == [("GB", 1)]
    assert after["clusters"] == before["clusters"]
    assert after["csv_name"] == "Riverside Bakery"
    assert after["murmurations"] == "Riverside Bakery"
    assert "Riverside Bread" not in after["page"]
    assert AuditEvent.objects.filter(verb="directory.organisation.edit_propose").count() == 1
    # and the proposer and the steward see the change as a diff
    mine = member_client.get(f"/directory/organisations/{own.pk}/").content.decode()
    assert "Changes waiting for review" in mine
    assert "<del>Riverside Bakery</del>" in mine and "<ins>Riverside Bread</ins>" in mine
    queue = steward_client.get("/directory/review/").content.decode()
    assert "<ins>Riverside Bread</ins>" in queue and "<del>GB</del>" in queue

    # when a steward confirms it
    response = steward_client.post(
        f"/directory/organisations/{own.pk}/edit-review/", {"decision": "confirm"}
    )
    # then the public sees the new version everywhere
    assert response.status_code == 302
    confirmed = _public_view(client, own, tmp_path)
    assert confirmed["found_bread"] == [own.pk]
    assert confirmed["countries"] == [("DE", 1)]
    assert confirmed["csv_name"] == "Riverside Bread"
    assert confirmed["murmurations"] == "Riverside Bread"
    assert confirmed["clusters"] == [{"lat": 52.5, "lon": -0.1, "count": 1, "id": own.pk}]
    edit.refresh_from_db()
    assert edit.status == "confirmed"
    event = AuditEvent.objects.get(verb="directory.organisation.edit_confirm")
    assert event.data == {"edit": edit.pk, "fields": ["country", "latitude", "name"]}


def test_api_edit_waits_and_a_rejected_edit_changes_nothing(
    own: Organisation,
    member_client: Client,
    other_member: Any,
    steward_client: Client,
    client: Client,
    tmp_path: Path,
) -> None:
    # given a confirmed entry
    before = _public_view(client, own, tmp_path)
    # when its proposer edits it through the API
    response = member_client.patch(
        f"{API}/{own.pk}",
        json.dumps({"name": "Riverside Bread", "locality": "Leeds"}),
        content_type="application/json",
    )
    # then the answer is the confirmed entry with the pending change
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["locality"]) == ("Riverside Bakery", "London")
    assert body["pending_edit"]["changes"] == [
        {"field": "locality", "old": "London", "new": "Leeds"},
        {"field": "name", "old": "Riverside Bakery", "new": "Riverside Bread"},
    ]
    assert client.get(f"{API}/{own.pk}").json()["pending_edit"] is None
    listed = steward_client.get("/api/directory/pending-edits").json()
    assert [e["organisation"] for e in listed] == [own.pk]

    # when a steward rejects without a reason, then nothing is decided
    url = f"{API}/{own.pk}/edit-review"
    missing = steward_client.post(url, json.dumps({"decision": "reject"}), "application/json")
    assert missing.status_code == 422
    assert PendingEdit.objects.get(organisation=own).status == "pending"

    # when a steward rejects with a reason
    rejected = steward_client.post(
        url, json.dumps({"decision": "reject", "reason": "Not the same shop."}), "application/json"
    )
    # then the entry and everything public are unchanged
    assert rejected.status_code == 200
    assert rejected.json()["pending_edit"] is None
    after = _public_view(client, own, tmp_path)
    assert "Riverside Bread" not in after.pop("page")
    before.pop("page")
    assert after == before
    assert PendingEdit.objects.get(organisation=own).status == "rejected"
    event = AuditEvent.objects.get(verb="directory.organisation.edit_reject")
    assert event.reason == "Not the same shop."
    # and the proposer reads the reason
    page = member_client.get(f"/directory/organisations/{own.pk}/").content.decode()
    assert "Not the same shop." in page
    # and there is nothing left to review
    again = steward_client.post(url, json.dumps({"decision": "confirm"}), "application/json")
    assert again.status_code == 409


@pytest.mark.parametrize("who", ["anonymous", "member", "other_member"])
def test_only_stewards_decide_on_an_edit_and_a_refusal_changes_nothing(
    who: str, own: Organisation, member: Any, other_member: Any, client: Client
) -> None:
    # given a pending edit
    services.organisation_update(actor=member, org_id=own.pk, data={"name": "Riverside Bread"})
    caller = {"anonymous": None, "member": member, "other_member": other_member}[who]
    if caller is not None:
        client.force_login(caller)
    events = AuditEvent.objects.count()
    # when someone who is not a steward confirms it
    response = client.post(
        f"{API}/{own.pk}/edit-review", json.dumps({"decision": "confirm"}), "application/json"
    )
    page = client.post(f"/directory/organisations/{own.pk}/edit-review/", {"decision": "confirm"})
    # then it is refused and nothing changes
    assert response.status_code == (401 if caller is None else 403)
    assert page.status_code in (302, 403) and (caller is None) == (page.status_code == 302)
    own.refresh_from_db()
    assert own.name == "Riverside Bakery"
    assert PendingEdit.objects.get(organisation=own).status == "pending"
    assert AuditEvent.objects.count() == events
    # and only the proposer (and stewards) see the pending change
    shown = client.get(f"{API}/{own.pk}").json()["pending_edit"]
    assert (shown is not None) == (who == "member")


def test_another_member_cannot_propose_an_edit(
    own: Organisation, other_member: Any, client: Client
) -> None:
    # given another member
    client.force_login(other_member)
    # when they edit the entry
    response = client.patch(
        f"{API}/{own.pk}", json.dumps({"name": "Hijacked"}), content_type="application/json"
    )
    # then it is refused and no edit waits
    assert response.status_code == 403
    assert not PendingEdit.objects.exists()
    assert client.get(f"/directory/organisations/{own.pk}/edit/").status_code == 403


def test_steward_edit_of_a_confirmed_entry_applies_at_once(own: Organisation, steward: Any) -> None:
    # when a steward edits a confirmed entry
    services.organisation_update(actor=steward, org_id=own.pk, data={"name": "Riverside Bread"})
    # then it is changed without a pending edit
    own.refresh_from_db()
    assert own.name == "Riverside Bread"
    assert not PendingEdit.objects.exists()
    assert [o.name for o in search(SearchParams(q="bread")).results] == ["Riverside Bread"]


def test_further_edits_merge_and_reverting_every_change_withdraws_the_edit(
    own: Organisation, member: Any
) -> None:
    # given a pending edit of the name
    services.organisation_update(actor=member, org_id=own.pk, data={"name": "Riverside Bread"})
    # when the proposer also changes the locality
    services.organisation_update(actor=member, org_id=own.pk, data={"locality": "Leeds"})
    # then one edit holds both changes
    edit = PendingEdit.objects.get()
    assert edit.values == {"name": "Riverside Bread", "locality": "Leeds"}
    # when they set both back to the confirmed values
    services.organisation_update(
        actor=member, org_id=own.pk, data={"name": "Riverside Bakery", "locality": "London"}
    )
    # then the edit is withdrawn and none is pending
    edit.refresh_from_db()
    assert edit.status == "withdrawn"
    assert services.pending_edit(own) is None


def test_an_edit_leaving_one_coordinate_is_refused(own: Organisation, member: Any) -> None:
    # when the proposer removes only the latitude
    with pytest.raises(ValidationFailed):
        services.organisation_update(actor=member, org_id=own.pk, data={"latitude": None})
    # then no edit waits
    assert not PendingEdit.objects.exists()
