"""Pages: buying shares paid on the ledger, allocations from the ledger and the general
assembly's poll, in words (no raw fractions), with Django's test client."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM
from solidaria.governance import services
from solidaria.governance.models import CapitalEntry, Poll, ShareOrder
from solidaria.governance.tests.coop_ledger import give_coop_an_account, pay_in
from solidaria.governance.tests.test_allocation_from_ledger import ASSEMBLY
from solidaria.governance.tests.test_platform_factories import World, make_world
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, CreditPolicy, Currency, PaymentRequest


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    w = make_world(member, other_member, steward)
    give_coop_an_account(w.coop, steward)
    pay_in(member, w.coop.currency, 30_000, key="in-ada")  # type: ignore[arg-type]
    return w


def _text(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.django_db
def test_a_member_buys_shares_paying_now_and_the_register_names_the_payment(
    world: World, member_client: Client
) -> None:
    url = reverse("governance:shares", kwargs={"slug": world.coop.slug})
    page = member_client.get(url)
    assert page.status_code == 200
    assert "Buy or sell back shares" in _text(page)
    # when ada buys 2 shares and ticks "pay now"
    response = member_client.post(
        url,
        {
            "operation": "subscription",
            "share_type": world.share.pk,
            "quantity": 2,
            "pay_now": "on",
            "idempotency_key": "form-1",
        },
    )
    assert response.status_code == 302
    entry = CapitalEntry.objects.get()
    assert entry.transfer is not None and entry.transfer.amount_minor == 10_000
    # then the register page shows it with its ledger payment
    register = member_client.get(reverse("governance:register", kwargs={"slug": world.coop.slug}))
    text = _text(register)
    assert f"payment {entry.transfer_id}" in text
    assert "Subscriptions and redemptions are paid on the ledger" in text
    # and posting the same form again (same key) moves nothing more
    member_client.post(
        url,
        {
            "operation": "subscription",
            "share_type": world.share.pk,
            "quantity": 2,
            "pay_now": "on",
            "idempotency_key": "form-1",
        },
    )
    assert CapitalEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_member_asks_for_a_payment_request_and_sees_it_waiting(
    world: World, member_client: Client
) -> None:
    url = reverse("governance:shares", kwargs={"slug": world.coop.slug})
    response = member_client.post(
        url, {"operation": "subscription", "share_type": world.share.pk, "quantity": 3}
    )
    assert response.status_code == 302
    order = ShareOrder.objects.get()
    assert order.payment_request.status == PaymentRequest.Status.OPEN
    text = _text(member_client.get(url))
    assert "Waiting for payment" in text and "3 A" in text
    assert not CapitalEntry.objects.exists()


@pytest.mark.django_db
def test_a_member_cannot_pay_themselves_back_now(world: World, member_client: Client) -> None:
    url = reverse("governance:shares", kwargs={"slug": world.coop.slug})
    response = member_client.post(
        url,
        {"operation": "redemption", "share_type": world.share.pk, "quantity": 1, "pay_now": "on"},
    )
    assert response.status_code == 200
    assert "Only the co-op's stewards pay shares back at once" in _text(response)
    assert not CapitalEntry.objects.exists() and not ShareOrder.objects.exists()


@pytest.mark.django_db
def test_a_refusal_from_the_ledger_is_shown_on_the_form(
    world: World, member_client: Client
) -> None:
    # 20 shares of 50.00 are more than ada's 300.00
    url = reverse("governance:shares", kwargs={"slug": world.coop.slug})
    response = member_client.post(
        url,
        {
            "operation": "subscription",
            "share_type": world.share.pk,
            "quantity": 20,
            "pay_now": "on",
        },
    )
    assert response.status_code == 200
    assert "below" in _text(response)
    assert not CapitalEntry.objects.exists()


@pytest.mark.django_db
def test_people_outside_the_coop_cannot_open_its_share_page(world: World) -> None:
    client = Client()
    client.force_login(world.stranger)
    url = reverse("governance:shares", kwargs={"slug": world.coop.slug})
    assert client.get(url).status_code == 403
    assert client.post(url, {"operation": "subscription"}).status_code == 403
    assert not ShareOrder.objects.exists()


def _hours(world: World) -> Currency:
    hours = ledger.currency_create(
        actor=SYSTEM,
        code="HRS",
        name="Time bank",
        unit_kind=Currency.UnitKind.TIME,
        exponent=0,
        default_credit_limit=600,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    carol = ledger.account_open(actor=SYSTEM, currency=hours, owner=world.stranger)
    for n, user in enumerate((world.worker.user, world.consumer.user), 1):
        ledger.transfer_create(
            actor=world.stranger,
            payer=carol,
            payee=ledger.account_open(actor=SYSTEM, currency=hours, owner=user),
            amount_minor=60 * n,
            key=f"h{n}",
        )
    return hours


@pytest.mark.django_db
def test_a_steward_computes_an_allocation_from_the_ledger_and_puts_it_to_the_assembly(
    world: World, steward_client: Client, member_client: Client
) -> None:
    hours = _hours(world)
    coop_acc = Account.objects.get(kind="organisation")
    ada_acc = Account.objects.get(
        kind="member", owner=world.worker.user, currency=coop_acc.currency
    )
    ledger.transfer_create(
        actor=world.worker.user, payer=ada_acc, payee=coop_acc, amount_minor=12_345, key="buy"
    )
    services.bylaws_create(
        actor=world.steward, coop=world.coop, data=ASSEMBLY, effective_from=dt.date(2025, 1, 1)
    )
    url = reverse("governance:allocation_from_ledger", kwargs={"slug": world.coop.slug})
    assert member_client.get(url).status_code == 403
    today = timezone.localdate().isoformat()
    response = steward_client.post(
        url,
        {
            "year": 2026,
            "surplus": "100.00",
            "period_start": today,
            "period_end": today,
            "hours_currency": hours.pk,
            "include_purchases": "on",
        },
    )
    assert response.status_code == 302, _text(response)
    page = steward_client.get(response["Location"])
    text = _text(page)
    # where each figure came from, in words
    assert "read from the ledger" in text and "HRS" in text
    assert "from 1 payment" in text
    # money to the cent, never a raw fraction
    assert "Exact share, to the nearest cent" in text
    assert not re.search(r"(?<![/\d])\d+/\d+(?![/\d])", text)  # dates have two slashes
    assert "general assembly" in text
    # when the steward opens the assembly's poll
    run_pk = int(response["Location"].rstrip("/").split("/")[-1])
    closes = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    opened = steward_client.post(
        reverse("governance:allocation_poll", kwargs={"pk": run_pk}), {"closes_at": closes}
    )
    poll = Poll.objects.get(allocation_for_id=run_pk)
    assert opened["Location"] == reverse("governance:poll", kwargs={"pk": poll.pk})
    after = _text(steward_client.get(response["Location"]))
    assert "The general assembly is voting on this allocation" in after
    # a member may not open one
    assert (
        member_client.post(
            reverse("governance:allocation_poll", kwargs={"pk": run_pk}), {"closes_at": closes}
        ).status_code
        == 403
    )
    assert Poll.objects.filter(allocation_for_id=run_pk).count() == 1


# --- API ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_buys_shares_paid_now_or_by_request(world: World, member_token: str) -> None:
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {member_token}"}
    url = f"/api/governance/coops/{world.coop.slug}/shares"
    body = {"operation": "subscription", "share_type": world.share.pk, "quantity": 2}
    # paid now: needs an idempotency key, then writes the payment and the entry once
    refused = client.post(url, {**body, "pay_now": True}, content_type="application/json", **auth)
    assert refused.status_code == 422 and refused.json()["field"] == "idempotency_key"
    first = client.post(
        url,
        {**body, "pay_now": True},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="api-1",
        **auth,
    )
    again = client.post(
        url,
        {**body, "pay_now": True},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="api-1",
        **auth,
    )
    assert first.status_code == 201 and first.json() == again.json()
    assert first.json()["is_paid"] is True and first.json()["entry"]["quantity"] == 2
    assert CapitalEntry.objects.count() == 1
    # by request: nothing in the register until it is paid
    asked = client.post(url, body, content_type="application/json", **auth)
    assert asked.status_code == 201
    assert asked.json()["is_paid"] is False and asked.json()["payment_request_id"]
    assert CapitalEntry.objects.count() == 1


def test_the_share_operation_documents_its_refusals() -> None:
    from solidaria.core.api import api

    schema = api.get_openapi_schema()
    post = schema["paths"]["/api/governance/coops/{slug}/shares"]["post"]
    assert {401, 403, 404, 409, 422} <= {int(code) for code in post["responses"]}
