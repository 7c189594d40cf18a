"""Free whole-number query parameters of the server-rendered pages (page numbers, a
thread's comment page, a report's year): junk, huge, negative or exponent values fall
back to a sane page or get a 4xx, never a 500 (core/querybounds.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM
from solidaria.core.querybounds import MAX_PAGE, bounded_int
from solidaria.directory.factories import make_organisation
from solidaria.ledger import services as ledger
from solidaria.ledger.models import CreditPolicy

HOSTILE = [
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "1e9",
    "1.5",
    "nan",
    "inf",
    "abc",
    "",
    "٣",  # an Arabic-Indic digit: int() would accept it
    "%00",
    "9" * 5000,
]

# {account} and {org} are filled in by the fixture; {v} is the hostile value
PAGES = [
    "/notifications/?page={v}",
    "/ledger/accounts/{account}/?page={v}",
    "/ledger/offers-wants/?page={v}",
    "/ledger/steward/accounts/?page={v}",
    "/directory/?page={v}",
    "/directory/organisations/{org}/?comments={v}",
    "/discussion/organisation/{org}/?comments={v}",
    "/discussion/reports/?page={v}",
    "/discussion/conversations/?page={v}",
]
YEARS = [
    "/indicators/{v}/",
    "/indicators/{v}.csv",
    "/indicators/{v}.jsonld",
    "/indicators/{v}.pdf",
]


@pytest.fixture
def where(db: None, steward: User) -> dict[str, Any]:
    currency = ledger.currency_create(
        actor=SYSTEM,
        code="CRED",
        name="Credits",
        exponent=2,
        default_credit_limit=10_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    account = ledger.account_open(actor=steward, currency=currency)
    org = make_organisation("Bakery", created_by=steward, operators=(steward,))
    return {"account": account.pk, "org": org.pk}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("template", PAGES)
def test_a_hostile_page_number_shows_a_page(
    steward: User, where: dict[str, Any], template: str, value: str
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(steward)
    response = client.get(template.format(v=value, **where))
    # a paginated page falls back to its first or last page; the directory's search
    # validates its page like its other filters: 422 with the sentence on the form
    assert response.status_code in (200, 422), (template, value, response.status_code)
    if response.status_code == 422:
        assert template.startswith("/directory/?")
        assert "page must be" in response.content.decode()


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "1e9", "0", "abc", "2" * 400])
@pytest.mark.parametrize("template", YEARS)
def test_a_hostile_report_year_is_a_404(db: None, template: str, value: str) -> None:
    response = Client(raise_request_exception=False).get(template.format(v=value))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", 3),
        (" 7 ", 7),
        ("+2", 2),
        ("0", 1),
        ("-1", 1),
        ("99999999999999999999", MAX_PAGE),  # past the last page: the last page
        ("-99999999999999999999", 1),
        ("9" * 5000, MAX_PAGE),
        ("0" * 30 + "4", 4),
        ("1e9", 1),
        ("1.5", 1),
        ("٣", 1),
        ("abc", 1),
        ("", 1),
        (None, 1),
    ],
)
def test_bounded_int(raw: object, expected: int) -> None:
    assert bounded_int(raw, default=1, low=1, high=MAX_PAGE) == expected
