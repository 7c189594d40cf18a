"""Only stewards issue credit (issue 10 §2): a credit line above zero and a starting grant
come from a currency's credit policy or a steward's decision on one account, never from
what a member or an applicant asks for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM, allowed
from solidaria.ledger import services
from solidaria.ledger.models import Account, AccountRequest, CreditPolicy, Currency, Transfer

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _credit_lines() -> int:
    people = Account.objects.exclude(kind=Account.Kind.SYSTEM)
    return people.aggregate(total=Sum("credit_limit"))["total"] or 0


def _state() -> tuple[Any, ...]:
    return (
        sorted(Account.objects.values_list("pk", "kind", "credit_limit", "balance")),
        sorted(AccountRequest.objects.values_list("pk", "status", "account_id")),
        Transfer.objects.count(),
    )


@pytest.fixture
def sol(db: None) -> Currency:
    """Like the SOL of the issue: new accounts used to get 99.00 of credit each."""
    return services.currency_create(
        actor=SYSTEM, code="SOL", name="Sol", default_credit_limit=9_900, starting_grant=0
    )


# --- the attack from the issue -------------------------------------------------------


def test_the_four_organisation_accounts_attack_is_refused(
    member: User, sol: Currency, make_org: Any
) -> None:
    # given a member who put an organisation in the directory
    org = make_org("Ada's Bakery", created_by=member)
    client = _client(member)
    before = _credit_lines()
    # when they try, as in the issue, to open four organisation accounts with free names
    named = [
        _post(client, "/api/ledger/accounts", {"currency": "SOL", "kind": "organisation"})
        for _ in range(4)
    ]
    # then each is refused, and asking for their organisation's account four times makes
    # one request and no account
    assert [r.status_code for r in named] == [422] * 4
    asked = [
        _post(
            client,
            "/api/ledger/accounts",
            {"currency": "SOL", "kind": "organisation", "organisation": org.pk},
        )
        for _ in range(4)
    ]
    assert [r.status_code for r in asked] == [202] * 4
    assert {r.json()["status"] for r in asked} == {"requested"}
    assert len({r.json()["id"] for r in asked}) == 1
    assert not Account.objects.filter(kind=Account.Kind.ORGANISATION).exists()
    assert _credit_lines() == before == 0
    with pytest.raises(ValidationFailed):
        services.account_open(actor=member, currency=sol, kind=Account.Kind.ORGANISATION)
    free_name = {"currency": "SOL", "name": "Pot 1"}
    assert _post(client, "/api/ledger/accounts", free_name).status_code == 422


def test_a_new_currency_lets_stewards_decide_every_line(member: User, sol: Currency) -> None:
    # given a currency created without a credit policy
    assert sol.credit_policy == CreditPolicy.STEWARD_DECIDES
    # when a member joins it
    account = services.account_open(actor=member, currency=sol)
    # then the account opens at 0 with no grant, and the audit event says why
    assert (account.credit_limit, account.balance) == (0, 0)
    event = AuditEvent.objects.get(verb="ledger.account.open", object_id=str(account.pk))
    assert event.data == {
        "kind": "member",
        "credit_limit": 0,
        "grant": 0,
        "basis": {"policy": "steward_decides", "policy_version": 1},
    }


# --- requests decided by a currency steward ------------------------------------------


def test_a_request_approved_by_a_currency_steward_opens_at_zero(
    member: User, other_member: User, steward: User, hours: Currency, make_org: Any
) -> None:
    # given bo made a steward of HOURS (whose policy gives members 10 h and a 2 h grant)
    services.currency_steward_add(actor=steward, currency=hours, user=other_member)
    org = make_org("Ada's Bakery", created_by=member)
    asked = services.account_request_create(
        actor=member, currency=hours, organisation=org, note="we sell bread"
    )
    # when bo approves ada's request
    decided = services.account_request_approve(actor=other_member, request=asked, reason="ok")
    # then the organisation's account opens at limit 0 with no grant, named after it
    account = decided.account
    assert account is not None
    assert (account.kind, account.name, account.organisation_id) == (
        "organisation",
        org.name,
        org.pk,
    )
    assert (account.credit_limit, account.balance, account.owner_id) == (0, 0, member.pk)
    assert not Transfer.objects.filter(payee=account).exists()
    opened = AuditEvent.objects.get(verb="ledger.account.open", object_id=str(account.pk))
    assert opened.data["basis"] == {"request": asked.pk, "approved_by": other_member.pk}
    assert (opened.data["credit_limit"], opened.data["grant"]) == (0, 0)
    approved = AuditEvent.objects.get(verb="ledger.account_request.approve")
    assert (approved.actor, approved.reason) == (other_member, "ok")
    # and approving again changes nothing; the line is a later, audited decision of bo's
    again = services.account_request_approve(actor=other_member, request=asked)
    assert again.account_id == account.pk
    assert Account.objects.filter(organisation=org).count() == 1
    services.account_limits_set(
        actor=other_member, account=account, credit_limit=300, upper_limit=None, reason="trusted"
    )
    assert Account.objects.get(pk=account.pk).credit_limit == 300


def test_a_steward_of_another_currency_cannot_approve(
    member: User,
    other_member: User,
    steward: User,
    credits: Currency,
    hours: Currency,
    make_org: Any,
    ada_acc: Account,
) -> None:
    # given bo stewards HOURS only, and ada asks for a CRED account for her organisation
    services.currency_steward_add(actor=steward, currency=hours, user=other_member)
    asked = services.account_request_create(
        actor=member, currency=credits, organisation=make_org("Bakery", created_by=member)
    )
    before, events = _state(), AuditEvent.objects.count()
    # when bo tries to approve or decline it, or to set a CRED account's limit
    with pytest.raises(PermissionDenied):
        services.account_request_approve(actor=other_member, request=asked)
    with pytest.raises(PermissionDenied):
        services.account_request_decline(actor=other_member, request=asked, reason="no")
    with pytest.raises(PermissionDenied):
        services.account_limits_set(
            actor=other_member, account=ada_acc, credit_limit=1, upper_limit=None, reason="x"
        )
    api = _post(_client(other_member), f"/api/ledger/account-requests/{asked.pk}/approve", {})
    # then nothing changed
    assert api.status_code == 403
    assert (_state(), AuditEvent.objects.count()) == (before, events)
    assert allowed(other_member, "ledger.currency.steward", hours)
    assert not allowed(other_member, "ledger.currency.steward", credits)


def test_a_declined_request_changes_nothing(
    member: User, steward: User, credits: Currency, make_org: Any
) -> None:
    # given a request
    asked = services.account_request_create(
        actor=member, currency=credits, organisation=make_org("Bakery", created_by=member)
    )
    before = _state()
    # when a steward declines it without and then with a reason
    with pytest.raises(ValidationFailed):
        services.account_request_decline(actor=steward, request=asked, reason=" ")
    declined = services.account_request_decline(
        actor=steward, request=asked, reason="not trading yet"
    )
    # then only its status and the decision changed, and it cannot be approved after
    assert (declined.status, declined.decision_reason, declined.decided_by) == (
        "declined",
        "not trading yet",
        steward,
    )
    assert _state()[0] == before[0] and _state()[2] == before[2]
    with pytest.raises(Conflict):
        services.account_request_approve(actor=steward, request=asked)
    assert not Account.objects.filter(kind=Account.Kind.ORGANISATION).exists()
    event = AuditEvent.objects.get(verb="ledger.account_request.decline")
    assert event.reason == "not trading yet"


def test_only_an_operator_of_a_confirmed_organisation_asks(
    member: User, other_member: User, applicant: User, credits: Currency, make_org: Any
) -> None:
    # given bo's organisation, a proposed one of ada's, and one an applicant put in
    theirs = make_org("Bo's Bikes", created_by=other_member)
    proposed = make_org("Ada's Idea", created_by=member, status="proposed")
    newcomers = make_org("Newcomer Co", created_by=applicant)
    # when ada asks for theirs and for hers, and the applicant for theirs: then all refused
    with pytest.raises(PermissionDenied):
        services.account_request_create(actor=member, currency=credits, organisation=theirs)
    with pytest.raises(ValidationFailed):
        services.account_request_create(actor=member, currency=credits, organisation=proposed)
    with pytest.raises(PermissionDenied):
        services.account_request_create(actor=applicant, currency=credits, organisation=newcomers)
    assert not AccountRequest.objects.exists()


def test_an_organisation_account_cannot_pass_for_a_member_or_another_organisation(
    member: User, steward: User, credits: Currency, make_org: Any
) -> None:
    # given a member called "bo" and a confirmed organisation called "Café Rouge"
    User.objects.create_user(username="bo", password="x")
    make_org("Café Rouge")
    # when ada asks for accounts for organisations named like them
    for name in ("BO", "  cafe   rouge "):
        org = make_org(name, created_by=member, status="proposed")
        org.status = "confirmed"
        org.save()
        # then she is told why, and no request is made
        with pytest.raises(ValidationFailed) as exc:
            services.account_request_create(actor=member, currency=credits, organisation=org)
        assert "could be mistaken for theirs" in exc.value.message
    assert not AccountRequest.objects.exists()


# --- who may open member accounts ----------------------------------------------------


def test_applicants_cannot_open_accounts_anywhere(applicant: User, credits: Currency) -> None:
    # given an applicant (signed up, not admitted)
    client = _client(applicant)
    # when they try the service, the API and the page
    with pytest.raises(PermissionDenied):
        services.account_open(actor=applicant, currency=credits)
    api = _post(client, "/api/ledger/accounts", {"currency": "CRED"})
    page = client.post("/ledger/join/", {"currency": credits.pk})
    # then no account exists
    assert api.status_code == 403
    assert page.status_code in (302, 403)
    assert not Account.objects.filter(owner=applicant).exists()


def test_a_steward_cannot_open_an_account_for_an_applicant(
    steward: User, applicant: User, credits: Currency
) -> None:
    with pytest.raises(PermissionDenied):
        services.account_open(actor=steward, currency=credits, owner=applicant)
    with pytest.raises(PermissionDenied):
        services.account_open(actor=SYSTEM, currency=credits, owner=applicant)
    assert not Account.objects.filter(owner=applicant).exists()


# --- the policy ----------------------------------------------------------------------


def test_the_policy_is_set_by_a_currency_steward_audited_and_versioned(
    member: User, other_member: User, steward: User, sol: Currency
) -> None:
    # given ada steward of SOL, whose policy is that stewards decide
    services.currency_steward_add(actor=steward, currency=sol, user=member)
    with pytest.raises(PermissionDenied):
        services.currency_credit_policy_set(
            actor=other_member,
            currency=sol,
            policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
            reason="me",
        )
    # when ada changes the policy
    changed = services.currency_credit_policy_set(
        actor=member,
        currency=sol,
        policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
        reason="the pilot went well",
    )
    # then it is a new version, audited, and the next member account follows it
    assert (changed.credit_policy_version, changed.credit_policy_since is not None) == (2, True)
    event = AuditEvent.objects.get(verb="ledger.currency.policy.set")
    assert (event.actor, event.reason) == (member, "the pilot went well")
    assert event.data["before"]["credit_policy"] == "steward_decides"
    assert event.data["after"] == {
        "credit_policy": "admitted_members_get_default",
        "default_credit_limit": 9_900,
        "starting_grant": 0,
        "version": 2,
    }
    bo = services.account_open(actor=other_member, currency=sol)
    assert bo.credit_limit == 9_900
    opened = AuditEvent.objects.get(verb="ledger.account.open", object_id=str(bo.pk))
    assert opened.data["basis"] == {"policy": "admitted_members_get_default", "policy_version": 2}
    # and raising the default is a further version, by a steward only
    with pytest.raises(PermissionDenied):
        services.currency_update(
            actor=other_member, currency=sol, reason="x", default_credit_limit=1
        )
    updated = services.currency_update(
        actor=member, currency=sol, reason="more room", default_credit_limit=20_000
    )
    assert updated.credit_policy_version == 3


def test_only_network_stewards_choose_currency_stewards(
    member: User, other_member: User, applicant: User, steward: User, sol: Currency
) -> None:
    with pytest.raises(PermissionDenied):
        services.currency_steward_add(actor=member, currency=sol, user=member)
    with pytest.raises(ValidationFailed):
        services.currency_steward_add(actor=steward, currency=sol, user=applicant)
    services.currency_steward_add(actor=steward, currency=sol, user=other_member)
    assert list(sol.stewards.all()) == [other_member]
    services.currency_steward_remove(
        actor=steward, currency=sol, user=other_member, reason="stepped down"
    )
    assert not sol.stewards.exists()
    verbs = AuditEvent.objects.filter(verb__startswith="ledger.currency.steward")
    assert sorted(verbs.values_list("verb", flat=True)) == [
        "ledger.currency.steward.add",
        "ledger.currency.steward.remove",
    ]


def test_requests_through_the_api(
    member: User, other_member: User, steward: User, credits: Currency, make_org: Any
) -> None:
    # given bo, steward of CRED, and ada's request made through the API
    services.currency_steward_add(actor=steward, currency=credits, user=other_member)
    org = make_org("Bakery", created_by=member)
    ada, bo = _client(member), _client(other_member)
    body = {"currency": "CRED", "kind": "organisation", "organisation": org.pk, "note": "bread"}
    asked = _post(ada, "/api/ledger/accounts", body).json()
    # when ada tries to approve it herself, and bo lists and approves it
    mine = _post(ada, f"/api/ledger/account-requests/{asked['id']}/approve", {"reason": "me"})
    listed = bo.get("/api/ledger/account-requests").json()
    approved = _post(bo, f"/api/ledger/account-requests/{asked['id']}/approve", {"reason": "ok"})
    # then only bo's approval counts, and the account opens at 0
    assert mine.status_code == 403
    assert [(r["id"], r["organisation_name"], r["status"]) for r in listed] == [
        (asked["id"], "Bakery", "requested")
    ]
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "bo")
    account = Account.objects.get(pk=approved.json()["account"])
    assert (account.credit_limit, account.organisation_id) == (0, org.pk)
    limits = {"credit_limit": 5000, "upper_limit": None, "reason": "trusted bakery"}
    put = bo.put(
        f"/api/ledger/accounts/{account.pk}/limits", json.dumps(limits), "application/json"
    )
    assert (put.status_code, put.json()["credit_limit"]) == (200, 5000)
    declined = _post(bo, f"/api/ledger/account-requests/{asked['id']}/decline", {"reason": "x"})
    assert declined.status_code == 409
