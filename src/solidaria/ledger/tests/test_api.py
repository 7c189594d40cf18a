from __future__ import annotations

import json

import jsonschema
import pytest
import referencing
from django.test import Client

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.paths import bundled_data_dir
from solidaria.ledger import listings, services
from solidaria.ledger.models import Account, Currency, Entry, Transfer

pytestmark = pytest.mark.django_db


def _client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def _post(client: Client, url: str, body: dict, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_pay_by_username_with_a_header_key_and_repeat_it(
    member_token: str, ada_acc: Account, bo_acc: Account
) -> None:
    client = _client(member_token)
    body = {"currency": "CRED", "payee_username": "bo", "amount": "12.50", "memo": "bread"}
    first = _post(client, "/api/ledger/transfers", body, **{"Idempotency-Key": "abc"})
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["amount_minor"], data["amount"], data["payer"], data["payee"]) == (
        1250,
        "12.50",
        ada_acc.pk,
        bo_acc.pk,
    )
    again = _post(client, "/api/ledger/transfers", body, **{"Idempotency-Key": "abc"})
    assert again.status_code == 200
    assert again.json()["id"] == data["id"] and again.json()["replayed"] is True
    assert Transfer.objects.count() == 1
    clash = _post(
        client, "/api/ledger/transfers", {**body, "amount": "3"}, **{"Idempotency-Key": "abc"}
    )
    assert clash.status_code == 409
    assert "already used" in clash.json()["detail"]


@pytest.mark.parametrize(
    ("change", "status", "field", "detail"),
    [
        ({"amount": "0"}, 422, "amount", "the amount must be more than zero"),
        ({"amount": "-5"}, 422, "amount", "the amount must be more than zero"),
        ({"amount": "1.005"}, 422, "amount", "1.005 has more decimal places than CRED allows (2)"),
        (
            {"amount": "130"},
            422,
            "amount",
            "this payment would take your balance to -130.00, below your limit of -100.00",
        ),
        ({"payee_username": "ada"}, 422, "payee", "the payer and the payee are the same account"),
        ({"payee_username": "nobody"}, 404, "payee", "there is no member nobody"),
        ({"currency": "NOPE"}, 404, "currency", "there is no currency NOPE"),
        ({"idempotency_key": None}, 422, "idempotency_key", None),
    ],
)
def test_bad_payments_get_a_reason_and_write_nothing(
    member_token: str,
    ada_acc: Account,
    bo_acc: Account,
    change: dict,
    status: int,
    field: str,
    detail: str | None,
) -> None:
    body = {
        "currency": "CRED",
        "payee_username": "bo",
        "amount": "10",
        "idempotency_key": "k",
        **change,
    }
    response = _post(_client(member_token), "/api/ledger/transfers", body)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    if detail:
        assert response.json()["detail"] == detail
    assert Transfer.objects.count() == 0 and Entry.objects.count() == 0


def test_wrong_currency_for_the_account_is_refused(
    member: User, member_token: str, ada_acc: Account, bo_acc: Account, hours: Currency
) -> None:
    body = {"payer": ada_acc.pk, "currency": "HOURS", "payee": bo_acc.pk, "amount": "1"}
    response = _post(
        _client(member_token), "/api/ledger/transfers", body, **{"Idempotency-Key": "w"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": f"account {ada_acc.pk} holds CRED, not HOURS",
        "field": "currency",
    }


def test_a_stranger_cannot_see_balances(
    member_token: str, ada_acc: Account, bo_acc: Account, steward_token: str
) -> None:
    client = _client(member_token)
    assert client.get(f"/api/ledger/accounts/{bo_acc.pk}").status_code == 404
    assert client.get(f"/api/ledger/accounts/{bo_acc.pk}/statement").status_code == 404
    assert Client().get(f"/api/ledger/accounts/{ada_acc.pk}").status_code == 401
    assert client.get(f"/api/ledger/accounts/{ada_acc.pk}").json()["balance"] == "0.00"
    assert _client(steward_token).get(f"/api/ledger/accounts/{bo_acc.pk}").status_code == 200
    mine = client.get("/api/ledger/accounts").json()
    assert [a["id"] for a in mine] == [ada_acc.pk]


def test_statement_lists_entries_with_filters(
    member: User, member_token: str, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(
        actor=member,
        payer=ada_acc,
        payee=bo_acc,
        amount_minor=300,
        memo="jam",
        category="food",
        key="1",
    )
    services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=200, memo="nails", key="2"
    )
    client = _client(member_token)
    body = client.get(f"/api/ledger/accounts/{ada_acc.pk}/statement?category=food").json()
    assert body["count"] == 1
    assert [(e["amount_minor"], e["counterparty"], e["memo"]) for e in body["entries"]] == [
        (-300, "bo", "jam")
    ]


def test_join_a_time_bank_and_get_the_grant(member_token: str, hours: Currency) -> None:
    response = _post(_client(member_token), "/api/ledger/accounts", {"currency": "HOURS"})
    assert response.status_code == 201
    assert (response.json()["balance_minor"], response.json()["balance"]) == (120, "2:00 h")


def test_steward_sets_limits_and_the_threshold_queue(
    member_token: str, steward_token: str, ada_acc: Account, bo_acc: Account
) -> None:
    member, steward = _client(member_token), _client(steward_token)
    url = f"/api/ledger/accounts/{ada_acc.pk}/limits"
    body = {"credit_limit": 20000, "upper_limit": None, "reason": "trusted"}
    assert member.put(url, json.dumps(body), content_type="application/json").status_code == 403
    assert steward.put(url, json.dumps(body), content_type="application/json").status_code == 200
    patch = {"reason": "check big ones", "authorisation_threshold": 5000}
    response = steward.patch(
        "/api/ledger/currencies/CRED", json.dumps(patch), content_type="application/json"
    )
    assert response.status_code == 200
    pay = {"currency": "CRED", "payee_username": "bo", "amount": "150", "idempotency_key": "big"}
    pending = _post(member, "/api/ledger/transfers", pay).json()
    assert pending["status"] == "pending" and pending["warnings"]
    assert member.get("/api/ledger/transfers/pending").status_code == 403
    queue = steward.get("/api/ledger/transfers/pending").json()
    assert [t["id"] for t in queue] == [pending["id"]]
    approved = _post(steward, f"/api/ledger/transfers/{pending['id']}/approve", {"reason": "ok"})
    assert approved.json()["status"] == "completed"
    ada_acc.refresh_from_db()
    assert (ada_acc.balance, ada_acc.reserved) == (-15000, 0)


def test_bulk_one_to_many_through_the_api(
    member_token: str, ada_acc: Account, bo_acc: Account, credits: Currency
) -> None:
    cy = services.account_open(actor=make_member(username="cy"), currency=credits)
    body = {
        "kind": "one_to_many",
        "counterparty": ada_acc.pk,
        "lines": [
            {"account": bo_acc.pk, "amount": "1.50"},
            {"account": cy.pk, "amount_minor": 250},
        ],
    }
    client = _client(member_token)
    first = _post(client, "/api/ledger/transfers/bulk", body, **{"Idempotency-Key": "b1"})
    assert first.status_code == 201, first.content
    assert (first.json()["line_count"], first.json()["total_minor"]) == (2, 400)
    again = _post(client, "/api/ledger/transfers/bulk", body, **{"Idempotency-Key": "b1"})
    assert again.status_code == 200 and again.json()["replayed"]
    bad = {**body, "lines": [{"account": bo_acc.pk, "amount": "1.001"}]}
    response = _post(client, "/api/ledger/transfers/bulk", bad, **{"Idempotency-Key": "b2"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("line 1: ")


def test_request_accept_and_reverse_through_the_api(
    member_token: str, ada_acc: Account, bo_acc: Account, other_member: User
) -> None:
    from solidaria.accounts.models import ApiToken

    _t, bo_token = ApiToken.issue(user=other_member, name="t")
    bo, ada = _client(bo_token), _client(member_token)
    req = _post(
        bo, "/api/ledger/requests", {"currency": "CRED", "payer_username": "ada", "amount": "4"}
    )
    assert req.status_code == 201, req.content
    rid = req.json()["id"]
    assert _post(bo, f"/api/ledger/requests/{rid}/accept", {}).status_code == 404
    paid = _post(ada, f"/api/ledger/requests/{rid}/accept", {})
    assert paid.status_code == 200 and paid.json()["amount_minor"] == 400
    tid = paid.json()["id"]
    reverse = _post(
        bo, f"/api/ledger/transfers/{tid}/reverse", {"reason": "refund"}, **{"Idempotency-Key": "r"}
    )
    assert reverse.status_code == 201 and reverse.json()["reverses"] == tid


def _murmurations_validator() -> jsonschema.Draft7Validator:
    base = bundled_data_dir() / "murmurations"
    schema = json.loads((base / "schemas/offers_wants_schema-v0.1.0.json").read_text())
    root = "https://test-library.murmurations.network/v2/"
    resources = [
        (
            root + "fields/" + path.name,
            referencing.Resource.from_contents(
                json.loads(path.read_text()), default_specification=referencing.jsonschema.DRAFT7
            ),
        )
        for path in (base / "fields").glob("*.json")
    ]
    registry = referencing.Registry().with_resources(resources)
    return jsonschema.Draft7Validator(schema, registry=registry)


def test_offers_and_wants_export_as_valid_murmurations_profiles(
    member: User, other_member: User, member_token: str, ada_acc: Account, bo_acc: Account
) -> None:
    listings.listing_create(
        actor=member,
        kind="offer",
        title="Bike repair",
        category="repairs",
        description="I fix bikes.",
        place="Leeds",
        latitude="53.8",
        longitude="-1.55",
        price="15",
        currency="CRED",
    )
    listings.listing_create(
        actor=other_member,
        kind="want",
        item_type="good",
        title="A ladder",
        category="tools",
        description="Borrow a ladder for a day.",
    )
    profiles = Client().get("/api/ledger/offers-wants/murmurations").json()
    validator = _murmurations_validator()
    assert len(profiles) == 2
    for profile in profiles:
        errors = sorted(validator.iter_errors(profile), key=str)
        assert errors == [], errors
    offer = next(p for p in profiles if p["exchange_type"] == "offer")
    assert offer["geolocation"] == {"lat": 53.8, "lon": -1.55}
    assert offer["transaction_type"] == ["buy-sell"]
    # an invalid profile is caught by the same validator (the test can fail)
    assert list(validator.iter_errors({**offer, "exchange_type": "swap"}))


def test_respond_to_an_offer_makes_a_payment_request(
    member: User, other_member: User, ada_acc: Account, bo_acc: Account
) -> None:
    from solidaria.accounts.models import ApiToken

    listing = listings.listing_create(
        actor=member,
        kind="offer",
        title="Soup",
        category="food",
        description="Pea soup",
        price="3",
        currency="CRED",
    )
    _t, bo_token = ApiToken.issue(user=other_member, name="t")
    response = _post(_client(bo_token), f"/api/ledger/offers-wants/{listing.pk}/respond", {})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["payer"], body["payee"], body["amount_minor"], body["status"]) == (
        bo_acc.pk,
        ada_acc.pk,
        300,
        "open",
    )
    search = Client().get("/api/ledger/offers-wants?q=soup&kind=offer").json()
    assert [s["id"] for s in search] == [listing.pk]
