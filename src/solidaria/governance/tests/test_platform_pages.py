"""Pages and API over the demo co-op: everything renders for members, the inside is
refused to non-members, and writes through the API refuse what the services refuse."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.governance import demo
from solidaria.governance.models import AllocationRun, Ballot, CapitalEntry, Cooperative, Poll
from solidaria.governance.tests.test_platform_factories import snapshot


@pytest.fixture
def demo_coop(db: None) -> Cooperative:
    demo.load(stdout=io.StringIO())
    return Cooperative.objects.get(slug=demo.SLUG)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _pages(coop: Cooperative) -> list[str]:
    ana = coop.memberships.get(user__username="ana")
    run = AllocationRun.objects.get(coop=coop)
    pages = [
        reverse("governance:home"),
        reverse("governance:coop", args=[coop.slug]),
        reverse("governance:members", args=[coop.slug]),
        reverse("governance:register", args=[coop.slug]),
        reverse("governance:register_csv", args=[coop.slug]),
        reverse("governance:certificate", args=[coop.slug, ana.pk]),
        reverse("governance:allocation", args=[run.pk]),
        reverse("governance:allocation_csv", args=[run.pk]),
    ]
    pages += [reverse("governance:poll", args=[p.pk]) for p in coop.polls.all()]
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["steward", "ana"])
def test_every_page_renders_for_steward_and_member(demo_coop: Cooperative, username: str) -> None:
    client = _client(username)
    for url in _pages(demo_coop):
        response = client.get(url)
        assert response.status_code == 200, url
    steward_pages = [
        reverse("governance:poll_new", args=[demo_coop.slug]),
        reverse("governance:bylaws_new", args=[demo_coop.slug]),
        reverse("governance:allocation_new", args=[demo_coop.slug]),
    ]
    for url in steward_pages:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_demo_shows_election_proposal_and_allocation(demo_coop: Cooperative) -> None:
    client = _client("dolores")
    board = demo_coop.polls.get(kind=Poll.Kind.STV)
    page = client.get(reverse("governance:poll", args=[board.pk])).content.decode()
    assert "Elected, in order" in page
    assert board.result.data["elected"] == ["ana", "dolores"]
    proposal = demo_coop.polls.get(kind=Poll.Kind.PROPOSAL, allocation_for__isnull=True)
    assert proposal.result.outcome == "passed"
    run = AllocationRun.objects.get(coop=demo_coop)
    assert sum(ln.cents for ln in run.lines.all()) == run.surplus_minor
    report = client.get(reverse("governance:allocation", args=[run.pk])).content.decode()
    assert "<svg" in report and "<title" in report
    pdf = client.get(
        reverse(
            "governance:certificate",
            args=[demo_coop.slug, demo_coop.memberships.get(user__username="dolores").pk],
        )
    )
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_non_member_is_refused_the_inside(demo_coop: Cooperative) -> None:
    stranger = make_member(username="zed", email="z@example.org", password="pw")
    client = Client()
    client.force_login(stranger)
    assert client.get(reverse("governance:coop", args=[demo_coop.slug])).status_code == 200
    for url in _pages(demo_coop)[2:]:
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("governance:poll_new", args=[demo_coop.slug])).status_code == 403


@pytest.mark.django_db
def test_member_cannot_see_others_certificate_or_steward_forms(demo_coop: Cooperative) -> None:
    client = _client("emeka")
    ana = demo_coop.memberships.get(user__username="ana")
    assert (
        client.get(reverse("governance:certificate", args=[demo_coop.slug, ana.pk])).status_code
        == 403
    )
    assert client.get(reverse("governance:poll_new", args=[demo_coop.slug])).status_code == 403


@pytest.mark.django_db
def test_vote_through_the_page_once(demo_coop: Cooperative) -> None:
    consent = demo_coop.polls.get(kind=Poll.Kind.CONSENT)
    client = _client("chen")
    url = reverse("governance:poll", args=[consent.pk])
    client.post(url, {"position": "consent"})
    before = snapshot()
    response = client.post(url, {"position": "consent"}, follow=True)
    assert "already voted" in response.content.decode()
    assert snapshot() == before
    assert Ballot.objects.filter(poll=consent).count() == 2


@pytest.mark.django_db
def test_page_share_transfer_above_holding_shows_reason(demo_coop: Cooperative) -> None:
    client = _client("emeka")
    share = demo_coop.share_types.get()
    before = snapshot()
    response = client.post(
        reverse("governance:register", args=[demo_coop.slug]),
        {
            "operation": "transfer",
            "member": "emeka",
            "buyer": "farah",
            "share_type": share.pk,
            "quantity": 3,
        },
    )
    assert "emeka holds 2 A shares and cannot transfer 3" in response.content.decode()
    assert snapshot() == before


# --- API ----------------------------------------------------------------------------------


def _api(client: Client, method: str, path: str, body: object = None, **headers: str) -> object:
    url = f"/api/governance{path}"
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


@pytest.mark.django_db
def test_api_reads_for_member(demo_coop: Cooperative) -> None:
    client = _client("farah")
    assert _api(client, "get", "/coops").status_code == 200
    register = _api(client, "get", f"/coops/{demo_coop.slug}/register").json()
    farah = next(h for h in register["holdings"] if h["member"] == "farah")
    assert farah["shares"] == {"A": 3}
    polls = _api(client, "get", f"/coops/{demo_coop.slug}/polls").json()
    board = next(p for p in polls if p["kind"] == "stv")
    results = _api(client, "get", f"/polls/{board['id']}/results").json()
    assert results["data"]["elected"] == ["ana", "dolores"]
    assert results["data"]["settings"] == {"method": "stv-scottish"}
    runs = _api(client, "get", f"/coops/{demo_coop.slug}/allocations").json()
    assert runs[0]["is_accepted"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["non-member", "member"])
def test_api_steward_writes_denied_to_others(demo_coop: Cooperative, role: str) -> None:
    if role == "non-member":
        make_member(username="zed", email="z@example.org", password="pw")
    client = _client("zed" if role == "non-member" else "emeka")
    share = demo_coop.share_types.get()
    before = snapshot()
    calls = [
        ("post", f"/coops/{demo_coop.slug}/polls", {"kind": "proposal", "title": "x", "closes_at": "2999-01-01T00:00:00Z"}),
        ("post", f"/coops/{demo_coop.slug}/register", {"operation": "subscribe", "member": "emeka", "share_type": share.pk, "quantity": 1}),
        ("post", f"/allocations/{AllocationRun.objects.get().pk}/accept", {}),
    ]  # fmt: skip
    for method, path, body in calls:
        response = _api(client, method, path, body)
        assert response.status_code == 403, path
    assert snapshot() == before


@pytest.mark.django_db
def test_api_vote_refusals_store_nothing(demo_coop: Cooperative) -> None:
    consent = demo_coop.polls.get(kind=Poll.Kind.CONSENT)
    proposal = demo_coop.polls.get(kind=Poll.Kind.PROPOSAL, allocation_for__isnull=True)
    make_member(username="zed", email="z@example.org", password="pw")
    before = snapshot()
    twice = _api(
        _client("bilal"), "post", f"/polls/{consent.pk}/vote", {"choice": {"position": "consent"}}
    )
    closed = _api(_client("ana"), "post", f"/polls/{proposal.pk}/vote", {"choice": {"vote": "yes"}})
    stranger = _api(
        _client("zed"), "post", f"/polls/{consent.pk}/vote", {"choice": {"position": "consent"}}
    )
    no_reason = _api(
        _client("ana"), "post", f"/polls/{consent.pk}/vote", {"choice": {"position": "object"}}
    )
    assert (twice.status_code, twice.json()["detail"]) == (
        409,
        "you have already voted in this poll",
    )
    assert (closed.status_code, closed.json()["detail"]) == (422, "this poll is closed")
    assert stranger.status_code == 403
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.json()["detail"]
    assert snapshot() == before


@pytest.mark.django_db
def test_api_register_write_is_idempotent(demo_coop: Cooperative) -> None:
    client = _client("steward")
    share = demo_coop.share_types.get()
    # (the demo co-op takes subscriptions on the ledger; a transfer is still recorded here)
    body = {
        "operation": "transfer",
        "member": "emeka",
        "buyer": "farah",
        "share_type": share.pk,
        "quantity": 1,
    }
    first = _api(
        client, "post", f"/coops/{demo_coop.slug}/register", body, HTTP_IDEMPOTENCY_KEY="a1"
    )
    again = _api(
        client, "post", f"/coops/{demo_coop.slug}/register", body, HTTP_IDEMPOTENCY_KEY="a1"
    )
    assert first.status_code == 201 and again.status_code == 201
    assert first.json() == again.json()
    assert CapitalEntry.objects.filter(membership__user__username="emeka").count() == 3
