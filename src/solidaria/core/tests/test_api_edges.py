"""The API at its edges (issue 11): bad input is a 4xx with a reason, never a 500.

The cases a schema fuzzer found (statement offsets, currency invariants, a null levy,
limits of 1e20, a budget of 2^63), over-long strings for every kind of column, unique
schema names in /api/openapi.json with the 4xx each operation answers, and anonymous
writes (401 with a reason; a resident's voting code needs no CSRF cookie).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from ninja import Schema as NinjaSchema

from solidaria.accounts.models import User
from solidaria.core.api import api
from solidaria.core.apischema import BIGINT_MAX, LIST_MAX, TEXT_MAX
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, Currency

pytestmark = pytest.mark.django_db


def _client(token: str = "", **kwargs: Any) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(headers=headers, **kwargs)


def _send(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _refused_with_reason(response: Any, *codes: int) -> dict[str, Any]:
    assert response.status_code in (codes or (400, 422)), (response.status_code, response.content)
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return dict(body)


@pytest.fixture
def cred(db: None) -> Currency:
    currency: Currency = ledger.currency_create(
        actor=SYSTEM, code="CRED", name="Credits", default_credit_limit=100, starting_grant=10
    )
    return currency


@pytest.fixture
def ada_account(member: User, cred: Currency) -> Account:
    return ledger.account_open(actor=member, currency=cred)


# ------------------------------------------------------------- what the fuzzer found


@pytest.mark.parametrize("offset", [-1, 2**63, 2**64])
def test_a_statement_offset_out_of_range_is_422(
    member_token: str, ada_account: Account, offset: int
) -> None:
    url = f"/api/ledger/accounts/{ada_account.pk}/statement?offset={offset}"
    body = _refused_with_reason(_client(member_token).get(url), 422)
    assert body["field"] == "offset"
    ok = _client(member_token).get(f"/api/ledger/accounts/{ada_account.pk}/statement?offset=5")
    assert ok.status_code == 200 and ok.json()["entries"] == []


@pytest.mark.parametrize(
    "settings",
    [
        {"default_upper_limit": -1},
        {"default_upper_limit": 5, "starting_grant": 10},
        {"levy_basis_points": 10_001},
        {"default_credit_limit": 10**20},
        {"exponent": 7},
        {"starting_grant": None},
    ],
)
def test_a_currency_that_breaks_its_invariants_is_refused(
    steward_token: str, settings: dict[str, Any]
) -> None:
    body = {"code": "BAD", "name": "Bad", **settings}
    _refused_with_reason(_send(_client(steward_token), "post", "/api/ledger/currencies", body))
    assert not Currency.objects.filter(code="BAD").exists()


def test_a_currency_with_an_upper_limit_opens_accounts(
    steward_token: str, member_token: str
) -> None:
    body = {"code": "OK", "name": "Fine", "default_upper_limit": 50, "starting_grant": 50}
    assert _send(_client(steward_token), "post", "/api/ledger/currencies", body).status_code == 201
    opened = _send(_client(member_token), "post", "/api/ledger/accounts", {"currency": "OK"})
    assert opened.status_code == 201, opened.content
    assert opened.json()["upper_limit"] == 50


@pytest.mark.parametrize(
    "change",
    [
        {"levy_basis_points": None},
        {"name": None},
        {"is_active": None},
        {"default_upper_limit": -5},
        {"default_upper_limit": 3},  # below the starting grant of 10
        {"soft_upper_limit": 10**20},
    ],
)
def test_patching_a_currency_keeps_its_invariants(
    steward_token: str, cred: Currency, change: dict[str, Any]
) -> None:
    body = {"reason": "tidy up", **change}
    response = _send(_client(steward_token), "patch", "/api/ledger/currencies/CRED", body)
    _refused_with_reason(response)
    cred.refresh_from_db()
    assert (cred.levy_basis_points, cred.default_upper_limit, cred.name) == (0, None, "Credits")


def test_a_null_clears_a_limit_that_may_be_empty(steward_token: str, cred: Currency) -> None:
    cred.default_upper_limit = 500
    cred.save()
    body = {"reason": "no cap", "default_upper_limit": None}
    response = _send(_client(steward_token), "patch", "/api/ledger/currencies/CRED", body)
    assert response.status_code == 200, response.content
    assert response.json()["default_upper_limit"] is None


@pytest.mark.parametrize("limit", [10**20, 1e20, -1, 2**63])
def test_account_limits_out_of_range_are_422(
    steward_token: str, ada_account: Account, limit: Any
) -> None:
    before = ada_account.credit_limit
    url = f"/api/ledger/accounts/{ada_account.pk}/limits"
    body = {"credit_limit": limit, "reason": "try"}
    _refused_with_reason(_send(_client(steward_token), "put", url, body), 422)
    ada_account.refresh_from_db()
    assert ada_account.credit_limit == before


@pytest.mark.parametrize("budget", [2**63, 10**30])
def test_a_process_budget_beyond_a_bigint_is_422(steward_token: str, budget: int) -> None:
    body = {"title": "Fund", "budget": budget}
    response = _send(_client(steward_token), "post", "/api/budgeting/processes", body)
    assert _refused_with_reason(response, 422)["field"] == "budget"


def test_a_list_longer_than_the_cap_is_422(steward_token: str) -> None:
    body = {"kind": "grant", "counterparty": 1, "lines": [{"account": 1}] * (LIST_MAX + 1)}
    response = _send(_client(steward_token), "post", "/api/ledger/transfers/bulk", body)
    assert _refused_with_reason(response, 422)["field"] == "lines"


# ------------------------------------------------------------- over-long strings

LONG = "x" * (TEXT_MAX + 1)


@pytest.mark.parametrize(
    ("who", "url", "body", "field"),
    [
        ("member", "/api/directory/organisations", {"name": "n" * 301}, "name"),
        ("member", "/api/directory/organisations", {"name": "A", "locality": "l" * 201}, None),
        ("member", "/api/directory/organisations", {"name": "A", "phone": "1" * 65}, "phone"),
        ("member", "/api/directory/organisations", {"name": "A", "postcode": "9" * 33}, None),
        ("member", "/api/directory/organisations", {"name": "A", "email": "e" * 255}, "email"),
        ("member", "/api/directory/organisations", {"name": "A", "description": LONG}, None),
        (
            "member",
            "/api/clearing/obligations",
            {
                "currency": "CRED",
                "debtor": "a",
                "creditor": "b",
                "amount_minor": 1,
                "reference": "r" * 101,
            },
            "reference",
        ),
        (
            "member",
            "/api/clearing/obligations",
            {"currency": "C" * 17, "debtor": "a", "creditor": "b", "amount_minor": 1},
            "currency",
        ),
        (
            "steward",
            "/api/governance/coops/any/polls",
            {"kind": "yes_no", "title": "t" * 201},
            "title",
        ),
        (
            "steward",
            "/api/budgeting/processes",
            {"title": "F", "slug": "s" * 81, "budget": 1},
            None,
        ),
        ("steward", "/api/ledger/currencies", {"code": "C" * 17, "name": "Long"}, "code"),
        ("member", "/api/ledger/transfers", {"payee": 1, "amount": "1", "memo": LONG}, "memo"),
        ("member", "/api/ledger/transfers", {"payee_username": "u" * 200, "amount": "1"}, None),
    ],
)
def test_an_over_long_string_is_refused_with_its_field_never_a_500(
    member_token: str,
    steward_token: str,
    who: str,
    url: str,
    body: dict[str, Any],
    field: str | None,
) -> None:
    token = steward_token if who == "steward" else member_token
    refused = _refused_with_reason(_send(_client(token), "post", url, body))
    if field:
        assert refused["field"] == field


@pytest.mark.postgres
def test_a_value_the_database_refuses_is_a_400_on_postgresql(member_token: str) -> None:
    # 496 characters pass the schema (500); the service adds "http://" and the column refuses
    website = "w" * 492 + ".org"
    body = {"name": "Long site", "website": website}
    response = _send(_client(member_token), "post", "/api/directory/organisations", body)
    assert response.status_code in (201, 400, 422), response.content
    if response.status_code == 400:
        assert "too long" in response.json()["detail"]


# ------------------------------------------------------------- the OpenAPI document


def _api_schemas() -> dict[str, set[type]]:
    names: dict[str, set[type]] = {}
    stack: list[type] = [NinjaSchema]
    while stack:
        cls = stack.pop()
        sub: type
        for sub in cls.__subclasses__():
            stack.append(sub)
            module = sub.__module__
            if module.startswith("solidaria.") and ".tests" not in module:
                names.setdefault(sub.__name__, set()).add(sub)
    return names


def test_no_two_schemas_share_a_name() -> None:
    api.get_openapi_schema()  # imports every router
    twice = {
        name: sorted(c.__module__ for c in classes)
        for name, classes in _api_schemas().items()
        if len(classes) > 1
    }
    assert twice == {}


def test_each_operation_documents_its_refusals() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "ApiError" in schema["components"]["schemas"]
    missing = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            wanted = {"400"}
            if op.get("security"):
                wanted |= {"401", "403"}
            if "{" in path:
                wanted.add("404")
            if op.get("parameters") or op.get("requestBody"):
                wanted.add("422")
            if not wanted <= codes:
                missing.append((method, path, sorted(wanted - codes)))
    assert missing == []


def test_strings_integers_and_lists_are_bounded_in_the_schema() -> None:
    schema = Client().get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    org = components["OrganisationIn"]["properties"]
    assert (org["name"]["maxLength"], org["postcode"]["maxLength"], org["email"]["maxLength"]) == (
        300,
        32,
        254,
    )
    assert components["CurrencyIn"]["properties"]["code"]["maxLength"] == 16
    assert components["BulkIn"]["properties"]["lines"]["maxItems"] == LIST_MAX
    assert components["ProcessIn"]["properties"]["budget"]["maximum"] == BIGINT_MAX


# ------------------------------------------------------------- anonymous writes


def test_an_anonymous_write_is_401_with_a_reason_not_a_csrf_403() -> None:
    client = Client(enforce_csrf_checks=True)
    response = _send(client, "post", "/api/ledger/transfers", {"payee": 1, "amount": "1"})
    assert response.status_code == 401
    assert "API token" in response.json()["detail"]


def test_a_signed_in_session_still_needs_its_csrf_token(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = _send(client, "post", "/api/ledger/transfers", {"payee": 1, "amount": "1"})
    assert response.status_code == 403


def test_a_resident_votes_with_a_code_without_a_csrf_cookie(
    steward: User, member: User, steward_token: str
) -> None:
    from solidaria.budgeting.tests.test_platform_services import make_voting

    process, _ = make_voting(steward, member, electorate="codes")
    codes = _send(
        _client(steward_token),
        "post",
        f"/api/budgeting/processes/{process.slug}/codes",
        {"count": 1},
    ).json()["codes"]
    resident = Client(enforce_csrf_checks=True)
    url = f"/api/budgeting/processes/{process.slug}/ballot"
    refused = _send(resident, "post", url, {"projects": ["p1"], "code": "WRONG"})
    assert refused.status_code == 403
    cast = _send(resident, "post", url, {"projects": ["p1"], "code": codes[0]})
    assert cast.status_code == 200, cast.content
    assert cast.json()["changed"] is False


@pytest.mark.parametrize(("upper", "grant"), [(-5, 0), (5, 10)])
def test_the_service_refuses_an_upper_limit_no_account_could_open_under(
    upper: int, grant: int
) -> None:
    from solidaria.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        ledger.currency_create(
            actor=SYSTEM, code="NEG", name="Neg", default_upper_limit=upper, starting_grant=grant
        )
    assert refused.value.field == "default_upper_limit"
    assert not Currency.objects.filter(code="NEG").exists()
