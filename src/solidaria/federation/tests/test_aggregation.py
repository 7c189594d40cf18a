"""Aggregating another network's profiles through an index: provenance, approval,
updates and removals as the source changes, the federated filter, the CLI."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.errors import PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM
from solidaria.directory import search
from solidaria.directory.factories import make_organisation
from solidaria.directory.models import Organisation, Provenance
from solidaria.federation import aggregation, http
from solidaria.federation.models import FederatedProfile, Subscription
from solidaria.federation.tests.fakes import INDEX, FakeWeb

pytestmark = pytest.mark.django_db
Approval = FederatedProfile.Approval
SCHEMA = "organizations_schema-v1.0.0"
BAKERY = "https://other.example/murmurations/organisations/1.json"
MILL = "https://other.example/murmurations/organisations/2.json"


def profile(name: str, **extra: Any) -> dict[str, Any]:
    return {"linked_schemas": [SCHEMA], "name": name, **extra}


def subscribe(*, auto: bool = True, **kw: Any) -> Subscription:
    return aggregation.subscribe(
        actor=SYSTEM, index_url=INDEX, network_name="Other network", is_auto_approved=auto, **kw
    )


def test_an_auto_approved_subscription_brings_entries_with_provenance(web: FakeWeb) -> None:
    web.publish(
        BAKERY,
        profile(
            "Bakery Co-op",
            country_iso_3166="ES",
            geolocation={"lat": 41.4, "lon": 2.17},
            tags=["bread"],
        ),
    )
    web.publish(MILL, profile("Mill", country_iso_3166="FR"))
    sub = subscribe()

    counts = aggregation.run(sub)

    assert (counts["created"], counts["seen"], counts["errors"]) == (2, 2, 0)
    org = Organisation.objects.get(name="Bakery Co-op")
    assert org.status == Organisation.Status.CONFIRMED
    assert org.source_network == "Other network"
    assert (org.country, org.latitude, org.longitude, org.tags) == ("ES", 41.4, 2.17, ["bread"])
    prov = Provenance.objects.get(organisation=org)
    assert (prov.source, prov.source_id) == ("federation", BAKERY)
    fp = FederatedProfile.objects.get(profile_url=BAKERY)
    assert fp.approval == Approval.APPROVED
    assert fp.source_last_updated == web.nodes[web.node_id(BAKERY)].last_updated
    page = Client().get(f"/directory/organisations/{org.pk}/").content.decode()
    assert "From network Other network, fetched at" in page


def test_a_second_run_fetches_nothing_unchanged(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    sub = subscribe()
    aggregation.run(sub)
    web.calls.clear()

    counts = aggregation.run(sub)

    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 0, 1)
    assert [url for _m, url in web.calls if url == BAKERY] == []


def test_a_changed_source_updates_the_entry_and_a_deleted_one_removes_it(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    sub = subscribe()
    aggregation.run(sub)
    org_id = Organisation.objects.get().pk

    web.publish(BAKERY, profile("Bakery Co-op Ltd", description="Bread"))
    counts = aggregation.run(sub)

    assert counts["updated"] == 1
    org = Organisation.objects.get()
    assert (org.pk, org.name, org.description) == (org_id, "Bakery Co-op Ltd", "Bread")

    web.unpublish(BAKERY)
    counts = aggregation.run(sub)

    assert counts["removed"] == 1
    assert not Organisation.objects.filter(pk=org_id).exists()
    assert not Provenance.objects.filter(source_id=BAKERY).exists()
    assert FederatedProfile.objects.get().approval == Approval.REMOVED
    assert AuditEvent.objects.filter(verb="federation.profile.remove").count() == 1


def test_a_profile_gone_from_the_index_and_from_its_url_is_removed(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    sub = subscribe()
    aggregation.run(sub)
    web.nodes.clear()
    web.sites.clear()

    counts = aggregation.run(sub)

    assert counts["removed"] == 1
    assert Organisation.objects.count() == 0


def test_an_unreachable_index_removes_nothing(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    sub = subscribe()
    aggregation.run(sub)
    web.down = True

    counts = aggregation.run(sub)

    assert counts["errors"] == 1
    assert Organisation.objects.count() == 1


def test_new_entries_wait_for_a_steward_who_approves_or_rejects_with_a_reason(
    web: FakeWeb,
) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    web.publish(MILL, profile("Mill"))
    sub = subscribe(auto=False)
    aggregation.run(sub)
    assert set(Organisation.objects.values_list("status", flat=True)) == {"proposed"}
    bakery = FederatedProfile.objects.get(profile_url=BAKERY)
    mill = FederatedProfile.objects.get(profile_url=MILL)
    stew = make_steward()

    with pytest.raises(PermissionDenied):
        aggregation.decide(actor=make_member(), profile_id=bakery.pk, decision="approve")
    with pytest.raises(ValidationFailed):
        aggregation.decide(actor=stew, profile_id=mill.pk, decision="reject")
    aggregation.decide(actor=stew, profile_id=bakery.pk, decision="approve")
    aggregation.decide(actor=stew, profile_id=mill.pk, decision="reject", reason="Not ours")

    statuses = dict(Organisation.objects.values_list("name", "status"))
    assert statuses == {"Bakery Co-op": "confirmed", "Mill": "rejected"}
    assert AuditEvent.objects.filter(verb="federation.profile.reject", reason="Not ours").exists()
    # a rejected entry stays rejected when its source changes
    web.publish(MILL, profile("Mill Co-op"))
    aggregation.run(sub)
    assert Organisation.objects.get(name="Mill Co-op").status == "rejected"


def test_the_approval_queue_page(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    aggregation.run(subscribe(auto=False))
    fp = FederatedProfile.objects.get()
    client = Client()
    client.force_login(make_steward())
    page = client.get("/federation/").content.decode()
    assert "Bakery Co-op" in page and "From network Other network" in page

    response = client.post(f"/federation/entries/{fp.pk}/decide/", {"decision": "approve"})

    assert response.status_code == 302
    assert Organisation.objects.get().status == "confirmed"


def test_invalid_oversized_and_private_profiles_are_refused(
    web: FakeWeb, settings: Any, monkeypatch: Any
) -> None:
    web.publish(BAKERY, profile("Bakery Co-op"))
    web.sites[BAKERY] = {"linked_schemas": [SCHEMA]}  # no name: invalid
    web.publish(MILL, profile("Mill", description="x" * 300_000))
    counts = aggregation.run(subscribe())
    assert (counts["invalid"], counts["errors"], counts["created"]) == (1, 1, 0)

    settings.SOLIDARIA = {**settings.SOLIDARIA, "MURMURATIONS_ALLOW_PRIVATE": ""}
    monkeypatch.delenv("SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE", raising=False)
    with pytest.raises(http.FetchError):
        http.fetch_profile("http://127.0.0.1:8101/murmurations/organisations/1.json")
    with pytest.raises(http.FetchError):
        http.fetch_profile("http://10.0.0.7/p.json")


def test_our_own_profiles_in_a_shared_index_are_not_aggregated(web: FakeWeb) -> None:
    make_organisation("Ours")
    call_command("federation", "register", "--all", "--wait", stdout=StringIO())
    web.publish(BAKERY, profile("Bakery Co-op"))

    counts = aggregation.run(subscribe())

    assert counts["created"] == 1
    assert Organisation.objects.filter(source_network__isnull=False).count() == 1


def test_filters_go_to_the_index_search(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op", country_iso_3166="ES", tags=["bread"]))
    web.publish(MILL, profile("Mill", country_iso_3166="FR", tags=["flour"]))

    aggregation.run(subscribe(country="Spain"))

    assert list(Organisation.objects.values_list("name", flat=True)) == ["Bakery Co-op"]
    search_calls = [u for m, u in web.calls if m == "GET" and u.startswith(f"{INDEX}/nodes?")]
    assert "country=ES" in search_calls[0]
    assert f"schema={SCHEMA}" in search_calls[0]


def test_search_map_and_api_include_exclude_or_only_federated_entries(web: FakeWeb) -> None:
    make_organisation("Our Bakery", latitude=51.5, longitude=-0.1, country="GB")
    web.publish(
        BAKERY,
        profile("Their Bakery", geolocation={"lat": 51.6, "lon": -0.2}, country_iso_3166="GB"),
    )
    aggregation.run(subscribe())

    def names(**kw: Any) -> list[str]:
        result = search.search(search.SearchParams(**kw))
        return sorted(o.name for o in result.results)

    assert names() == ["Our Bakery", "Their Bakery"]
    assert names(federated="exclude") == ["Our Bakery"]
    assert names(federated="only") == ["Their Bakery"]
    assert names(q="bakery", federated="only") == ["Their Bakery"]
    assert names(country="GB", federated="exclude") == ["Our Bakery"]

    def total(**kw: Any) -> int:
        result = search.search(search.SearchParams(**kw))
        assert sum(f.count for f in result.facets["country"]) == result.total
        return result.total

    # the facet count table keeps own and federated entries apart, through every change
    assert (total(), total(federated="exclude"), total(federated="only")) == (2, 1, 1)
    fp = FederatedProfile.objects.get()
    web.unpublish(BAKERY)
    aggregation.run(fp.subscription)
    assert (total(), total(federated="exclude"), total(federated="only")) == (1, 1, 0)
    web.publish(
        BAKERY,
        profile("Their Bakery", geolocation={"lat": 51.6, "lon": -0.2}, country_iso_3166="GB"),
    )
    aggregation.run(fp.subscription)

    api = Client().get("/api/directory/organisations", {"federated": "only"}).json()
    assert [(o["name"], o["source_network"]) for o in api["results"]] == [
        ("Their Bakery", "Other network")
    ]
    assert Client().get("/api/directory/organisations", {"federated": "x"}).status_code == 422
    clusters = (
        Client()
        .get("/api/directory/clusters", {"bbox": "-1,51,1,52", "zoom": 14, "federated": "exclude"})
        .json()
    )
    assert clusters["total"] == 1
    page = Client().get("/directory/", {"federated": "only"}).content.decode()
    assert "Their Bakery" in page and "Our Bakery" not in page
    assert 'id="search-federated"' in page


def test_cli_subscribe_aggregate_and_leave(web: FakeWeb) -> None:
    web.publish(BAKERY, profile("Bakery Co-op", tags=["bread"]))
    out = StringIO()
    call_command(
        "federation",
        "subscribe",
        "--index",
        INDEX,
        "--name",
        "Other network",
        "--tag",
        "bread",
        "--auto-approve",
        "--json",
        stdout=out,
    )
    sub_id = json.loads(out.getvalue())["subscription"]
    assert Subscription.objects.get(pk=sub_id).tags == ["bread"]

    out = StringIO()
    call_command("federation", "aggregate", "--subscription", str(sub_id), "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 1

    out = StringIO()
    call_command("federation", "leave", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "deleted": 0,
        "failed": 0,
        "unsubscribed": 1,
        "removed": 1,
    }
    assert Organisation.objects.count() == 0
    assert Subscription.objects.get().is_active is False
