"""Time-bank amounts are typed the way people write hours: 1:30, 1.5, 90 min."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidaria.core.errors import ValidationFailed
from solidaria.core.money import AmountError, format_minutes, parse_minutes
from solidaria.ledger import services
from solidaria.ledger.rules import parse_amount


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1:30", 90),
        ("1:30 h", 90),
        ("1.5", 90),
        ("1.5 h", 90),
        ("1.25 hours", 75),
        ("90 min", 90),
        ("90min", 90),
        ("90", 90),
        ("2h 15min", 135),
        ("2 h 15", 135),
        ("0:05", 5),
    ],
)
def test_people_write_hours_in_many_ways(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["1.51 h", "1:75", "-1:30", "one hour", "1,5", "", "1:3"])
def test_what_is_not_a_whole_number_of_minutes_is_refused(text: str) -> None:
    with pytest.raises(AmountError):
        parse_minutes(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_the_displayed_time_reads_back_as_the_same_minutes(minutes: int) -> None:
    assert parse_minutes(format_minutes(minutes)) == minutes


@pytest.mark.django_db
def test_a_time_currency_takes_hours_and_a_money_currency_does_not(steward) -> None:
    hours = services.currency_create(
        actor=steward, code="HRS", name="Hours", unit_kind="time", exponent=0
    )
    euros = services.currency_create(actor=steward, code="EUX", name="Euro", exponent=2)
    assert parse_amount(hours, "1:30") == 90 and parse_amount(hours, "1.5") == 90
    assert parse_amount(euros, "1.5") == 150
    with pytest.raises(ValidationFailed, match="not a time"):
        parse_amount(hours, "an hour")
    with pytest.raises(ValidationFailed):
        parse_amount(euros, "1:30")


@pytest.mark.django_db
def test_the_pay_page_accepts_1_30_in_a_time_bank(steward, member, other_member) -> None:
    from django.test import Client

    from solidaria.ledger.models import Transfer

    hours = services.currency_create(
        actor=steward,
        code="HRS",
        name="Hours",
        unit_kind="time",
        exponent=0,
        credit_policy="admitted_members_get_default",
        default_credit_limit=600,
    )
    mine = services.account_open(actor=member, currency=hours)
    services.account_open(actor=other_member, currency=hours)
    client = Client()
    client.force_login(member)
    page = client.get("/ledger/pay/")
    assert "1:30, 1.5 h or 90 min" in page.content.decode()
    response = client.post(
        "/ledger/pay/",
        {
            "payer": mine.pk,
            "payee_username": other_member.username,
            "amount": "1:30",
            "idempotency_key": "k-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Transfer.objects.get().amount_minor == 90
