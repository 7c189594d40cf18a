"""The home page: a visitor sees the network; a person what waits for them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core import dashboard
from solidaria.core.tests.network import build

pytestmark = pytest.mark.django_db


def _kinds(tasks: list[dashboard.Task]) -> dict[str, int]:
    return {t.kind: t.count for t in tasks}


def test_a_visitor_keeps_the_network_home_page(client: Client) -> None:
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "A network of cooperatives" in body
    assert "Waiting for you" not in body
    assert reverse("transparency") in body


def test_a_member_sees_what_waits_for_them_with_counts_and_links(
    member: User, other_member: User, steward: User, member_client: Client
) -> None:
    build(member, other_member, steward)

    board = dashboard.for_person(member)
    response = member_client.get(reverse("home"))

    assert _kinds(board.tasks) == {
        "requests_to_pay": 1,
        "invoices_to_confirm": 1,
        "polls_to_vote": 1,
        "ballots_open": 1,
    }
    assert board.queues == []
    body = response.content.decode()
    assert "1 payment request waits for you to pay or decline it." in body
    assert "1 invoice waits for you to confirm or dispute it." in body
    assert "1 poll of your co-ops waits for your vote." in body
    assert "1 participatory budget is open for your ballot." in body
    assert reverse("budgeting:vote", args=["park"]) in body
    assert reverse("clearing:home") in body


def test_balances_and_recent_activity_say_who_paid_whom(
    member: User, other_member: User, steward: User, member_client: Client
) -> None:
    build(member, other_member, steward)

    body = member_client.get(reverse("home")).content.decode()
    bo_body = Client()
    bo_body.force_login(other_member)
    theirs = bo_body.get(reverse("home")).content.decode()

    assert "You paid 2.50 SOL to bo" in body
    assert "-2.50 SOL" in body  # ada's balance after paying 250 minor units
    assert "You received 2.50 SOL from ada" in theirs


def test_what_is_done_no_longer_waits(member: User, other_member: User, steward: User) -> None:
    from solidaria.budgeting import services as pb
    from solidaria.budgeting.models import Process
    from solidaria.governance import services as gov

    net = build(member, other_member, steward)
    process = Process.objects.get(slug="park")
    pb.ballot_cast(actor=member, process=process, projects=[process.projects.get().code])
    gov.vote_cast(actor=member, poll=net.ids["poll"], choice={"vote": "yes"})

    kinds = _kinds(dashboard.for_person(member).tasks)

    assert "ballots_open" not in kinds
    assert "polls_to_vote" not in kinds


def test_a_network_steward_sees_their_queues_with_counts(
    member: User, other_member: User, steward: User, applicant: User, steward_client: Client
) -> None:
    from solidaria.directory import services as directory

    build(member, other_member, steward)
    directory.organisation_create(actor=applicant, data={"name": "New Co-op"})

    board = dashboard.for_person(steward)
    body = steward_client.get(reverse("home")).content.decode()

    assert _kinds(board.queues) == {"directory_reviews": 1, "applications": 1}
    assert "Your queues as a steward" in body
    assert "1 person applied to join the network." in body
    assert reverse("directory:review") in body
    assert reverse("people") in body


def test_an_applicant_is_told_their_application_waits(applicant_client: Client) -> None:
    body = applicant_client.get(reverse("home")).content.decode()

    assert "Your application to the network is waiting for a steward." in body
    assert "Waiting for you" not in body


def test_the_open_processes_of_the_network_are_listed(
    member: User, other_member: User, steward: User
) -> None:
    build(member, other_member, steward)

    board = dashboard.for_person(other_member)  # bo is in no co-op

    assert [(p.kind, p.title) for p in board.processes] == [("budgeting", "Park fund")]
    assert [(p.kind, p.title) for p in dashboard.for_person(member).processes] == [
        ("budgeting", "Park fund"),
        ("poll", "New oven · Bread"),
    ]


def _more_of_everything(member: User, other_member: User, steward: User, n: int) -> None:
    from solidaria.clearing import services as clearing
    from solidaria.ledger.models import Account
    from solidaria.ledger.payment_requests import request_create

    sol_ada = Account.objects.get(owner=member)
    sol_bo = Account.objects.get(owner=other_member)
    for i in range(n):
        request_create(actor=other_member, payee=sol_bo, payer=sol_ada, amount_minor=5 + i)
        clearing.obligation_create(
            actor=other_member,
            currency=sol_ada.currency,
            debtor=member,
            creditor=other_member,
            amount_minor=10 + i,
            key=f"more-{i}",
        )
        make_member(f"extra{i}")


def test_the_dashboard_costs_a_bounded_number_of_queries(
    member: User,
    other_member: User,
    steward: User,
    django_assert_max_num_queries: Any,
) -> None:
    build(member, other_member, steward)
    # a member: session, user, 5 task counts, accounts, activity, open processes, polls...
    bounds = ((member, 14), (steward, 19))
    for who, most in bounds:
        client = Client()
        client.force_login(who)
        client.get(reverse("home"))  # sessions, caches
        with django_assert_max_num_queries(most):
            assert client.get(reverse("home")).status_code == 200

    _more_of_everything(member, other_member, steward, 6)

    for who, most in bounds:  # the same number however much waits
        client = Client()
        client.force_login(who)
        client.get(reverse("home"))
        with django_assert_max_num_queries(most):
            assert client.get(reverse("home")).status_code == 200
    assert _kinds(dashboard.for_person(member).tasks)["requests_to_pay"] == 7
