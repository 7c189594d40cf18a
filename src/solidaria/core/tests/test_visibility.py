"""Public or members only: published results, poll outcomes, clearing-run summaries and
co-ops of public ones are read without logging in at their usual URLs; members-only ones
ask a visitor to log in (the login page says why) and tell an applicant why not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core import dashboard, visibility
from solidaria.core.errors import NotFound, PermissionDenied
from solidaria.core.models import AuditEvent
from solidaria.core.tests.network import build

pytestmark = pytest.mark.django_db


def _login_redirect(response: object, client: Client) -> str:
    """The login page the visitor was sent to, with the messages it shows."""
    assert response.status_code == 302  # type: ignore[attr-defined]
    location = response["Location"]  # type: ignore[index]
    assert location.startswith(reverse("login"))
    return client.get(location).content.decode()


# ---------------------------------------------------------------- budgeting


def test_a_visitor_opens_a_published_result_by_its_shared_url(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    build(member, other_member, steward, published=True)

    response = client.get(reverse("budgeting:results", args=["park"]))
    body = response.content.decode()

    assert response.status_code == 200
    assert "Results: Park fund" in body
    assert "Bench" in body
    assert "This count is not published yet" not in body
    assert 'Its address, to share: <a href="/budgeting/park/results/">' in body
    assert client.get(reverse("budgeting:results_csv", args=["park"])).status_code == 200


def test_a_members_only_result_asks_a_visitor_to_log_in_and_says_why(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    from solidaria.budgeting.models import Process

    build(member, other_member, steward, published=True)
    Process.objects.filter(slug="park").update(visibility="members")

    login_page = _login_redirect(client.get(reverse("budgeting:results", args=["park"])), client)

    assert "This budgeting process is for members of the network only. Log in to see it." in (
        login_page
    )


def test_an_applicant_is_told_a_members_only_process_is_not_for_them(
    applicant_client: Client, member: User, other_member: User, steward: User
) -> None:
    from solidaria.budgeting.models import Process

    build(member, other_member, steward)
    Process.objects.filter(slug="park").update(visibility="members")

    response = applicant_client.get(reverse("budgeting:process", args=["park"]))

    assert response.status_code == 403
    assert "for members of the network only" in response.content.decode()


def test_the_api_answers_404_for_a_members_only_process(
    member: User, other_member: User, steward: User, applicant: User
) -> None:
    from django.contrib.auth.models import AnonymousUser

    from solidaria.accounts.models import ApiToken
    from solidaria.budgeting.models import Process
    from solidaria.budgeting.queries import process_for

    build(member, other_member, steward, published=True)
    _token, raw = ApiToken.issue(user=applicant, name="tests")
    url = "/api/budgeting/processes/park"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    assert process_for(AnonymousUser(), "park").slug == "park"
    Process.objects.filter(slug="park").update(visibility="members")

    with pytest.raises(visibility.MembersOnly):
        process_for(AnonymousUser(), "park")
    assert Client().get(url, **headers).status_code in (403, 404)
    assert Client().get(url, **headers).json()["detail"] != ""


def test_a_steward_creates_a_members_only_process_from_the_form(steward_client: Client) -> None:
    from solidaria.budgeting.models import Process

    response = steward_client.post(
        reverse("budgeting:process_new"),
        {
            "title": "Internal fund",
            "slug": "internal",
            "currency": "EUR",
            "currency_exponent": "0",
            "budget": "100",
            "electorate": "members",
            "visibility": "members",
            "ballot_type": "approval",
            "rule": "greedy",
            "completion": "none",
            "rule_parameters": "{}",
        },
    )

    assert response.status_code == 302
    assert Process.objects.get(slug="internal").visibility == "members"
    assert "Internal fund" not in Client().get(reverse("budgeting:home")).content.decode()


# ---------------------------------------------------------------- polls


def _closed_public_poll(member: User, other_member: User, steward: User) -> int:
    from solidaria.governance import services as gov
    from solidaria.governance.models import Poll

    net = build(member, other_member, steward)
    gov.vote_cast(actor=member, poll=net.ids["poll"], choice={"vote": "yes"})
    Poll.objects.filter(pk=net.ids["poll"]).update(visibility="public")
    gov.poll_close(actor=steward, poll=net.ids["poll"])
    return int(net.ids["poll"])


def test_a_visitor_reads_a_public_polls_outcome_without_who_voted(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    poll = _closed_public_poll(member, other_member, steward)

    response = client.get(reverse("governance:poll", args=[poll]))
    body = response.content.decode()

    assert response.status_code == 200
    assert "New oven" in body
    assert "Outcome" in body and "1 took part" in body
    assert "Who took part" not in body and "ada" not in body


def test_a_member_outside_the_coop_reads_the_public_outcome_but_cannot_vote(
    other_member: User, member: User, steward: User
) -> None:
    from solidaria.governance import services as gov
    from solidaria.governance.models import Participation, Poll

    net = build(member, other_member, steward)
    Poll.objects.filter(pk=net.ids["poll"]).update(visibility="public")
    client = Client()
    client.force_login(other_member)
    url = reverse("governance:poll", args=[net.ids["poll"]])

    assert client.get(url).status_code == 200
    assert client.post(url, {"vote": "yes"}).status_code == 403
    assert Client().post(url, {"vote": "yes"})["Location"].startswith(reverse("login"))
    assert Participation.objects.count() == 0
    gov.vote_cast(actor=member, poll=net.ids["poll"], choice={"vote": "yes"})  # ada still may


def test_a_members_only_poll_asks_a_visitor_to_log_in(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    net = build(member, other_member, steward)

    login_page = _login_redirect(
        client.get(reverse("governance:poll", args=[net.ids["poll"]])), client
    )

    assert "This poll is for the co-op&#x27;s members only. Log in to see it." in login_page


def test_a_coop_steward_chooses_who_reads_a_poll_and_it_is_audited(
    member: User, other_member: User, steward: User
) -> None:
    from solidaria.governance.models import Poll

    net = build(member, other_member, steward)
    pk = net.ids["poll"]
    client = Client()
    client.force_login(steward)

    response = client.post(
        reverse("visibility_set", args=["poll", pk]),
        {"visibility": "public", "next": reverse("governance:poll", args=[pk])},
    )

    assert response["Location"] == reverse("governance:poll", args=[pk])
    assert Poll.objects.get(pk=pk).visibility == "public"
    event = AuditEvent.objects.get(verb="governance.poll.visibility_set")
    assert event.data == {"from": "members", "to": "public"}


def test_others_cannot_choose_and_nothing_changes(
    member: User, other_member: User, steward: User
) -> None:
    from solidaria.governance.models import Poll

    net = build(member, other_member, steward)
    pk = net.ids["poll"]
    client = Client()
    client.force_login(member)  # a member of the co-op, not its steward

    response = client.post(reverse("visibility_set", args=["poll", pk]), {"visibility": "public"})

    assert response.status_code == 403
    assert Poll.objects.get(pk=pk).visibility == "members"
    with pytest.raises(PermissionDenied):
        visibility.visibility_set(actor=member, kind="poll", pk=pk, value="public")
    with pytest.raises(NotFound):
        visibility.visibility_set(actor=steward, kind="ledger", pk=pk, value="public")


def test_a_poll_created_public_from_the_form(
    member: User, other_member: User, steward: User
) -> None:
    from solidaria.governance.models import Poll

    build(member, other_member, steward)
    client = Client()
    client.force_login(steward)
    closes = (timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    client.post(
        reverse("governance:poll_new", args=["bread"]),
        {
            "kind": "proposal",
            "title": "Open Sundays",
            "seats": "1",
            "method": "stv-scottish",
            "quorum": "0",
            "quorum_base": "electorate",
            "threshold": "1/2",
            "threshold_base": "votes-cast",
            "comparison": ">",
            "tie_rule": "further-discussion",
            "closes_at": closes,
            "visibility": "public",
        },
    )

    assert Poll.objects.get(title="Open Sundays").visibility == "public"


# ---------------------------------------------------------------- co-ops and clearing


def test_a_public_coop_is_read_by_a_visitor_with_its_public_polls(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    from solidaria.governance.models import Cooperative

    poll = _closed_public_poll(member, other_member, steward)
    url = reverse("governance:coop", args=["bread"])
    _login_redirect(client.get(url), client)  # members only by default
    Cooperative.objects.filter(slug="bread").update(visibility="public")

    body = client.get(url).content.decode()

    assert "Bread" in body and "Public polls" in body
    assert reverse("governance:poll", args=[poll]) in body
    assert "Capital register" not in body
    assert "Bread" in client.get(reverse("governance:home")).content.decode()


def _accepted_run(steward: User, public: bool) -> int:
    from solidaria.clearing import services as clearing
    from solidaria.clearing.models import ClearingRun
    from solidaria.ledger import services as ledger

    eur = ledger.currency_create(actor=steward, code="EUR", name="Euro", exponent=2)
    for name in ("ada", "bo", "carla"):
        if not User.objects.filter(username=name).exists():
            make_member(name)
    clearing.obligations_import(
        actor=steward,
        currency=eur,
        text="debtor,creditor,amount\nada,bo,100.00\nbo,carla,60.00\ncarla,ada,80.50\n",
        confirm_both=True,
    )
    run = clearing.run_start(actor=steward, currency=eur)
    if public:
        ClearingRun.objects.filter(pk=run.pk).update(visibility="public")
    return int(run.pk)


def test_a_visitor_reads_a_public_runs_summary_without_anyones_position(
    client: Client, steward: User
) -> None:
    run = _accepted_run(steward, public=True)

    body = client.get(reverse("clearing:run", args=[run])).content.decode()

    assert "Total debt" in body and "240.50 EUR" in body
    assert "180.00 EUR" in body  # set off: the 60.00 cycle three times
    assert "carla" not in body and "Debt per member" not in body


def test_a_members_only_run_summary_is_for_members(client: Client, steward: User) -> None:
    run = _accepted_run(steward, public=False)
    dan = make_member("dan")  # in no obligation of the run
    members_client = Client()
    members_client.force_login(dan)

    login_page = _login_redirect(client.get(reverse("clearing:run", args=[run])), client)
    body = members_client.get(reverse("clearing:run", args=[run])).content.decode()

    assert "This clearing run is for members of the network only." in login_page
    assert "Total debt" in body and "carla" not in body


def test_a_proposed_set_off_waits_on_the_dashboard_until_answered(steward: User) -> None:
    from solidaria.clearing import services as clearing

    run = _accepted_run(steward, public=False)
    ada = User.objects.get(username="ada")
    clearing.run_propose(actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=3))

    assert {t.kind: t.count for t in dashboard.for_person(ada).tasks}["setoffs"] == 1
    clearing.run_respond(actor=ada, run=run, answer="accept")
    assert "setoffs" not in {t.kind for t in dashboard.for_person(ada).tasks}
