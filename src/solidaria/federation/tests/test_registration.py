"""Registering our profiles with an index: after commit, polled to a final state, retried
without duplicates, deleted once gone; the stewards' page; the CLI."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.models import AuditEvent
from solidaria.directory import services as directory
from solidaria.directory.factories import make_organisation
from solidaria.directory.models import Organisation
from solidaria.federation import profiles, registration
from solidaria.federation.models import Registration
from solidaria.federation.tests.fakes import INDEX, FakeWeb
from solidaria.ledger.listings import listing_close, listing_create
from solidaria.ledger.models import Listing

pytestmark = pytest.mark.django_db
Status = Registration.Status


def no_sleep(seconds: float) -> None:
    pass


def posts(web: FakeWeb) -> list[str]:
    return [url for method, url in web.calls if method == "POST"]


def test_confirming_an_organisation_registers_its_profile(
    web: FakeWeb, django_capture_on_commit_callbacks: Any
) -> None:
    stew = make_steward()
    org = directory.organisation_create(actor=make_member(), data={"name": "Bakery Co-op"})
    assert Registration.objects.count() == 0  # a proposal is not published

    with django_capture_on_commit_callbacks(execute=True):
        directory.organisation_review(actor=stew, org_id=org.pk, decision="confirm")

    reg = Registration.objects.get()
    assert reg.profile_url == f"http://127.0.0.1:8000/murmurations/organisations/{org.pk}.json"
    assert reg.node_id == profiles.node_id(reg.profile_url)
    assert reg.status == Status.POSTED
    assert web.nodes[reg.node_id].profile["name"] == "Bakery Co-op"
    assert posts(web) == [f"{INDEX}/nodes"]


def test_an_edit_posts_the_same_url_again_and_archiving_deletes_it(
    web: FakeWeb, django_capture_on_commit_callbacks: Any
) -> None:
    stew = make_steward()
    with django_capture_on_commit_callbacks(execute=True):
        org = make_organisation("Mill")
    with django_capture_on_commit_callbacks(execute=True):
        directory.organisation_update(actor=stew, org_id=org.pk, data={"name": "Mill Co-op"})
    reg = Registration.objects.get()
    assert reg.status == Status.POSTED
    assert len(web.nodes) == 1
    assert web.nodes[reg.node_id].profile["name"] == "Mill Co-op"

    with django_capture_on_commit_callbacks(execute=True):
        directory.organisation_review(actor=stew, org_id=org.pk, decision="archive")

    reg.refresh_from_db()
    assert (reg.status, reg.is_wanted) == (Status.DELETED, False)
    assert web.nodes[reg.node_id].status == "deleted"
    assert len(web.nodes) == 1


def test_nothing_is_registered_without_an_index(
    web: FakeWeb, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SOLIDARIA = {**settings.SOLIDARIA, "MURMURATIONS_INDEX_URL": ""}
    with django_capture_on_commit_callbacks(execute=True):
        make_organisation("Mill")
    assert Registration.objects.count() == 0
    assert web.calls == []


def test_federated_entries_are_never_registered(
    web: FakeWeb, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_organisation("Theirs", source_network="Other network")
    assert Registration.objects.count() == 0


def test_a_slow_index_is_polled_until_posted_with_one_post(web: FakeWeb) -> None:
    web.slow_polls = 2
    org = make_organisation("Mill")
    reg = registration.organisation_changed(org)
    assert reg is not None
    waits: list[float] = []

    reg = registration.sync(reg.pk, sleep=waits.append)

    assert reg.status == Status.POSTED
    assert reg.attempts == 3
    assert waits == [0.25, 0.5]
    assert posts(web) == [f"{INDEX}/nodes"]


def test_a_refused_profile_keeps_the_index_reasons(web: FakeWeb) -> None:
    url = profiles.organisation_url(9999)  # serves nothing
    reg = registration._want(profile_url=url, kind="organisation", present=True)

    reg = registration.sync(reg.pk, sleep=no_sleep)

    assert reg.status == Status.VALIDATION_FAILED
    assert reg.reasons == ["no profile"]


def test_an_unreachable_index_is_retried_a_bounded_number_of_times_then_a_steward_retries(
    web: FakeWeb, django_capture_on_commit_callbacks: Any
) -> None:
    web.down = True
    org = make_organisation("Mill")
    reg = registration.organisation_changed(org)
    assert reg is not None

    reg = registration.sync(reg.pk, sleep=no_sleep)

    assert reg.status == Status.ERROR
    assert reg.attempts == registration.MAX_ATTEMPTS
    assert "connection refused" in reg.last_error

    web.down = False
    with django_capture_on_commit_callbacks(execute=True):
        registration.retry(actor=make_steward(), registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.status == Status.POSTED
    assert len(web.nodes) == 1
    assert AuditEvent.objects.filter(verb="federation.registration.retry").count() == 1


def test_an_index_error_then_success_counts_attempts(web: FakeWeb) -> None:
    web.failures = 1
    org = make_organisation("Mill")
    reg = registration.organisation_changed(org)
    assert reg is not None
    reg = registration.sync(reg.pk, sleep=no_sleep)
    assert (reg.status, reg.attempts, reg.last_error) == (Status.POSTED, 2, "")


def test_stewards_see_each_profile_status_and_members_may_not(web: FakeWeb) -> None:
    org = make_organisation("Mill")
    reg = registration.organisation_changed(org)
    assert reg is not None
    registration.sync(reg.pk, sleep=no_sleep)
    client = Client()
    client.force_login(make_member())
    assert client.get("/federation/").status_code == 403
    assert client.post(f"/federation/registrations/{reg.pk}/retry/").status_code == 403

    client.force_login(make_steward())
    page = client.get("/federation/")
    assert page.status_code == 200
    assert "Mill" in page.content.decode()
    assert "published in the index" in page.content.decode()
    assert client.post(f"/federation/registrations/{reg.pk}/retry/").status_code == 302


def run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("federation", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_cli_registers_every_confirmed_organisation_and_the_network(web: FakeWeb) -> None:
    make_organisation("Mill")
    make_organisation("Bakery")
    make_organisation("Proposed", status=Organisation.Status.PROPOSED)

    code, out = run("register", "--all", "--wait", "--json")

    assert code == 0
    assert json.loads(out) == {"posted": 3, "failed": 0, "pending": 0}
    kinds = sorted(Registration.objects.values_list("kind", flat=True))
    assert kinds == ["network", "organisation", "organisation"]
    network = web.nodes[profiles.node_id(profiles.network_url())]
    assert network.profile["name"] == "Solidaria demo network"


def test_cli_register_exits_1_when_a_profile_fails(web: FakeWeb) -> None:
    registration._want(
        profile_url=profiles.organisation_url(9999), kind="organisation", present=True
    )
    code, out = run("register", "--wait", "--json")
    assert code == 1
    assert json.loads(out.splitlines()[0]) == {"posted": 0, "failed": 1, "pending": 0}


def test_cli_register_sends_a_refused_profile_again(web: FakeWeb) -> None:
    org = make_organisation("Mill")
    reg = registration.organisation_changed(org)
    assert reg is not None
    web.down = True
    registration.sync(reg.pk, sleep=no_sleep)
    web.down = False
    code, out = run("register", "--wait", "--json")
    assert (code, json.loads(out)) == (0, {"posted": 1, "failed": 0, "pending": 0})


def test_cli_register_without_an_index_exits_2(web: FakeWeb, settings: Any) -> None:
    settings.SOLIDARIA = {**settings.SOLIDARIA, "MURMURATIONS_INDEX_URL": ""}
    code, _out = run("register", "--all")
    assert code == 2


def test_leave_withdraws_every_profile_and_the_index_deletes_them(web: FakeWeb) -> None:
    make_organisation("Mill")
    run("register", "--all", "--wait")

    code, out = run("leave", "--json")

    assert code == 0
    assert json.loads(out) == {"deleted": 2, "failed": 0, "unsubscribed": 0, "removed": 0}
    assert {n.status for n in web.nodes.values()} == {"deleted"}
    assert Client().get("/murmurations/network.json").status_code == 404
    # registering again publishes again
    code, out = run("register", "--all", "--wait", "--json")
    assert json.loads(out) == {"posted": 2, "failed": 0, "pending": 0}
    assert Client().get("/murmurations/network.json").status_code == 200


def post_offer(title: str = "Bread") -> Listing:
    return listing_create(
        actor=make_member(f"member-{title.lower().replace(' ', '-')}"),
        kind="offer",
        title=title,
        category="food",
        description="Sourdough",
    )


def test_posting_an_offer_registers_it_and_closing_it_deletes_it(
    web: FakeWeb, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        listing = post_offer()

    reg = Registration.objects.get()
    assert reg.profile_url == f"http://127.0.0.1:8000/murmurations/offers-wants/{listing.pk}.json"
    assert (reg.kind, reg.listing, reg.status) == ("offers_wants", listing, Status.POSTED)
    assert web.nodes[reg.node_id].profile["title"] == "Bread"

    with django_capture_on_commit_callbacks(execute=True):
        listing_close(actor=listing.owner, listing=listing)

    reg.refresh_from_db()
    assert (reg.status, reg.is_wanted) == (Status.DELETED, False)
    assert web.nodes[reg.node_id].status == "deleted"
    assert len(web.nodes) == 1


def test_stewards_see_offers_and_wants_in_the_index(web: FakeWeb) -> None:
    listing = post_offer("Sourdough loaves")
    reg = registration.listing_changed(listing)
    assert reg is not None
    registration.sync(reg.pk, sleep=no_sleep)
    client = Client()
    client.force_login(make_steward())
    page = client.get("/federation/").content.decode()
    assert "Sourdough loaves" in page
    assert "offers and wants" in page
    assert "published in the index" in page


def test_cli_register_all_sends_active_offers_and_deletes_closed_ones(web: FakeWeb) -> None:
    bread = post_offer("Bread")
    post_offer("Jam")
    run("register", "--all", "--wait")
    assert Registration.objects.filter(kind="offers_wants", status=Status.POSTED).count() == 2

    Listing.objects.filter(pk=bread.pk).update(is_active=False)  # closed, index not told
    code, out = run("register", "--all", "--wait", "--json")

    assert (code, json.loads(out)) == (0, {"posted": 3, "failed": 0, "pending": 0})
    gone = Registration.objects.get(profile_url=profiles.listing_url(bread.pk))
    assert (gone.status, gone.is_wanted) == (Status.DELETED, False)
    assert web.nodes[gone.node_id].status == "deleted"


def test_leave_deletes_offers_and_wants_too(web: FakeWeb) -> None:
    post_offer()
    run("register", "--all", "--wait")
    code, out = run("leave", "--json")
    assert json.loads(out)["deleted"] == 2
    assert {n.status for n in web.nodes.values()} == {"deleted"}
