"""Pages of credit issuance: a member asks for an organisation account, a currency steward
approves or declines it with a reason and sets the credit policy; works without JS."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from solidaria.accounts.models import User
from solidaria.core.models import AuditEvent
from solidaria.ledger import services
from solidaria.ledger.models import Account, AccountRequest, Currency

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_asks_for_an_organisation_account_from_the_ledger_pages(
    member: User, member_client: Client, credits: Currency, make_org: Any
) -> None:
    # given ada runs a confirmed organisation
    org = make_org("Ada's Bakery", created_by=member)
    assert "Ask for an account for an organisation you run." in (
        member_client.get("/ledger/").content.decode()
    )
    # when she asks for its CRED account on the page
    page = member_client.get("/ledger/accounts/request/")
    response = member_client.post(
        "/ledger/accounts/request/",
        {"currency": credits.pk, "organisation": org.pk, "note": "we sell bread"},
    )
    # then a request waits and no account is open; her page says so
    assert page.status_code == 200
    assert response.status_code == 302
    asked = AccountRequest.objects.get()
    assert (asked.status, asked.requested_by, asked.note) == ("requested", member, "we sell bread")
    assert not Account.objects.filter(organisation=org).exists()
    assert "Ada&#x27;s Bakery in CRED: requested." in member_client.get("/ledger/").content.decode()


def test_an_applicant_cannot_reach_the_request_page(applicant_client: Client) -> None:
    assert applicant_client.get("/ledger/accounts/request/").status_code == 403


def test_a_currency_steward_approves_and_declines_on_the_page(
    member: User,
    other_member: User,
    steward: User,
    credits: Currency,
    hours: Currency,
    make_org: Any,
) -> None:
    # given bo stewards CRED, and two CRED requests and one HOURS request wait
    services.currency_steward_add(actor=steward, currency=credits, user=other_member)
    first, second = (
        services.account_request_create(
            actor=member, currency=credits, organisation=make_org(name, created_by=member)
        )
        for name in ("Bakery", "Dairy")
    )
    elsewhere = services.account_request_create(
        actor=member, currency=hours, organisation=make_org("Brewery", created_by=member)
    )
    bo = _client(other_member)
    # when bo opens the queue: he sees the CRED requests only
    listed = bo.get("/ledger/steward/account-requests/").content.decode()
    assert "Bakery" in listed and "Dairy" in listed and "Brewery" not in listed
    # and he approves one, declines one without then with a reason, and tries the HOURS one
    url = "/ledger/steward/account-requests/"
    bo.post(url, {"request": first.pk, "decision": "approve", "reason": "known to us"})
    bo.post(url, {"request": second.pk, "decision": "decline", "reason": ""})
    assert AccountRequest.objects.get(pk=second.pk).status == "requested"
    bo.post(url, {"request": second.pk, "decision": "decline", "reason": "not trading"})
    bo.post(url, {"request": elsewhere.pk, "decision": "approve", "reason": "mine now"})
    # then the approved account opens at 0, the declined one keeps its reason, and the
    # HOURS request is untouched
    approved = AccountRequest.objects.get(pk=first.pk)
    assert approved.account is not None and approved.account.credit_limit == 0
    declined = AccountRequest.objects.get(pk=second.pk)
    assert (declined.status, declined.decision_reason) == ("declined", "not trading")
    assert AccountRequest.objects.get(pk=elsewhere.pk).status == "requested"
    assert "Reason given: not trading" in _client(member).get("/ledger/").content.decode()


def test_people_who_steward_nothing_get_403_on_steward_pages(
    member_client: Client, ada_acc: Account
) -> None:
    assert member_client.get("/ledger/steward/account-requests/").status_code == 403
    assert member_client.get("/ledger/steward/currencies/CRED/credit-policy/").status_code == 403
    assert member_client.get(f"/ledger/steward/accounts/{ada_acc.pk}/limits/").status_code == 403
    before = Account.objects.get(pk=ada_acc.pk).credit_limit
    member_client.post(
        f"/ledger/steward/accounts/{ada_acc.pk}/limits/",
        {"credit_limit": "999.00", "upper_limit": "", "reason": "me"},
    )
    assert Account.objects.get(pk=ada_acc.pk).credit_limit == before


def test_a_currency_steward_sets_the_policy_and_limits_on_the_pages(
    member: User, other_member: User, steward: User, credits: Currency, ada_acc: Account
) -> None:
    # given bo, steward of CRED only
    services.currency_steward_add(actor=steward, currency=credits, user=other_member)
    bo = _client(other_member)
    # when he changes the policy and ada's limits on the pages
    policy = bo.post(
        "/ledger/steward/currencies/CRED/credit-policy/",
        {"credit_policy": "steward_decides", "reason": "new members start at 0"},
    )
    limits = bo.post(
        f"/ledger/steward/accounts/{ada_acc.pk}/limits/",
        {"credit_limit": "150.00", "upper_limit": "", "reason": "long-standing member"},
    )
    # then both are saved and audited with his name and reason
    assert (policy.status_code, limits.status_code) == (302, 302)
    assert Currency.objects.get(pk=credits.pk).credit_policy == "steward_decides"
    assert Account.objects.get(pk=ada_acc.pk).credit_limit == 15_000
    events = AuditEvent.objects.filter(actor=other_member).values_list("verb", "reason")
    assert set(events) == {
        ("ledger.currency.policy.set", "new members start at 0"),
        ("ledger.account.limits", "long-standing member"),
    }


def test_a_network_steward_grants_the_currency_role_in_the_admin(
    member: User, applicant: User, credits: Currency
) -> None:
    # given a network steward with admin access
    from django.urls import reverse

    root = User.objects.create_superuser("root", "root@example.org", "a long password 1")
    client = _client(root)
    url = reverse("admin:ledger_currencysteward_add")
    # when they make an applicant, then ada, a steward of CRED
    refused = client.post(url, {"currency": credits.pk, "user": applicant.pk})
    granted = client.post(url, {"currency": credits.pk, "user": member.pk})
    # then only ada holds the role, granted through the service and audited
    assert refused.status_code == 200 and "Only an admitted member" in refused.content.decode()
    assert granted.status_code == 302
    assert list(credits.stewards.all()) == [member]
    event = AuditEvent.objects.get(verb="ledger.currency.steward.add")
    assert (event.actor, event.data["user"]) == (root, member.pk)
    # and a member with admin access but no network role cannot add one
    staff = _client(User.objects.create_user("clerk", password="x", is_staff=True))
    assert staff.get(url).status_code == 403
