"""Surplus allocation: exact examples, bylaws validation, and invariants by hypothesis."""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.governance.engine.allocation import (
    AllocationError,
    Patronage,
    allocate_surplus,
)
from solidaria.governance.engine.bylaws import (
    Bylaws,
    BylawsError,
    PatronageBasis,
    bylaws_from_dict,
    parse_percent,
)
from solidaria.governance.engine.patronage_csv import (
    InputError,
    parse_cents,
    parse_patronage_csv,
)
from solidaria.governance.engine.rounding import largest_remainder

EXAMPLE = Path(__file__).resolve().parents[1] / "engine" / "example_bylaws.json"


def _bylaws(**overrides: Any) -> Bylaws:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    data.update(overrides)
    return bylaws_from_dict(data)


def test_example_bylaws_parse_exactly() -> None:
    bylaws = _bylaws()
    assert (bylaws.reserves_bp, bylaws.social_fund_bp, bylaws.members_bp) == (3000, 1000, 6000)
    assert (bylaws.hours_weight_bp, bylaws.purchases_weight_bp) == (7000, 3000)
    assert bylaws_from_dict(bylaws.as_dict()) == bylaws


@pytest.fixture
def hours_bylaws() -> Bylaws:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    data["patronage_basis"] = "hours"
    del data["mixed_weights"]
    return bylaws_from_dict(data)


def test_allocation_by_hours(hours_bylaws: Bylaws) -> None:
    # given 1000.00, 30 % reserves (half indivisible), 10 % social, 60 % members
    rows = [Patronage("ana", hours=F(100)), Patronage("ben", hours=F(50))]
    # when allocated
    result = allocate_surplus(100_000, hours_bylaws, rows)
    # then funds and members get exact cents, cash 30 % rounded up
    funds = {f.account: f.cents for f in result.funds}
    assert funds == {
        "reserves_indivisible": 15_000,
        "reserves_divisible": 15_000,
        "social_fund": 10_000,
        "collective": 0,
    }
    assert [(m.member, m.cents, m.cash_cents, m.capital_cents) for m in result.members] == [
        ("ana", 40_000, 12_000, 28_000),
        ("ben", 20_000, 6_000, 14_000),
    ]


def test_equal_patronage_ties_send_cents_to_the_collective_account(hours_bylaws: Bylaws) -> None:
    # given 1.00 and three equal members: 60 cents / 3 = 20 each, funds 15+15+10
    rows = [Patronage(n, hours=F(1)) for n in "abc"]
    result = allocate_surplus(100, hours_bylaws, rows)
    assert [m.cents for m in result.members] == [20, 20, 20]
    # given 0.10: members 6 cents / 3 = 2 each; reserves 3 -> 1.5 + 1.5; social 1
    result = allocate_surplus(10, hours_bylaws, rows)
    funds = {f.account: f.cents for f in result.funds}
    assert funds["reserves_indivisible"] == funds["reserves_divisible"] == 1
    assert funds["collective"] == 1
    assert result.residue_cents == 1


def test_mixed_basis_normalises_each_dimension() -> None:
    # ana works all hours, ben makes all purchases: 70 % / 30 % of the members' return
    rows = [Patronage("ana", hours=F(10)), Patronage("ben", purchases=F("12345.67"))]
    result = allocate_surplus(10_000, _bylaws(), rows)
    assert [m.cents for m in result.members] == [4_200, 1_800]


def test_no_patronage_sends_members_share_to_collective(hours_bylaws: Bylaws) -> None:
    result = allocate_surplus(1_000, hours_bylaws, [Patronage("ana")])
    assert result.members[0].cents == 0
    assert {f.account: f.cents for f in result.funds}["collective"] == 600


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"members": "50"}, "shares", "= 90 %, not 100 %"),
        ({"reserves": "30.5"}, "shares", "100.5 %"),
        ({"cash": "10"}, "cash", "below the minimum of 20 %"),
        ({"cash": 0.3}, "cash", "as a string"),
        ({"cash": "12.345"}, "cash", "more than two decimals"),
        ({"reserves": "abc"}, "reserves", "not a number"),
        ({"members": "-10", "reserves": "100"}, "members", "not 0..100"),
        ({"patronage_basis": "capital"}, "patronage_basis", "not hours, purchases or mixed"),
        ({"mixed_weights": {"hours": "70", "purchases": "20"}}, "mixed_weights", "add up"),
        ({"surprise": "1"}, "surprise", "unknown key"),
    ],
)
def test_bad_bylaws_are_refused_with_a_reason(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(BylawsError) as info:
        _bylaws(**overrides)
    assert info.value.field == field
    assert message in str(info.value)


def test_missing_key_is_refused() -> None:
    data = json.loads(EXAMPLE.read_text())
    del data["social_fund"]
    with pytest.raises(BylawsError, match="social_fund: missing"):
        bylaws_from_dict(data)


@pytest.mark.parametrize(("text", "bp"), [("30", 3000), ("12.5", 1250), ("0.01", 1), ("7%", 700)])
def test_parse_percent(text: str, bp: int) -> None:
    assert parse_percent(text, "x") == bp


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([Patronage("ana", hours=F(-1))], "member ana: negative hours"),
        ([Patronage("ana", purchases=F(-1, 100))], "negative purchases"),
        ([Patronage("ana"), Patronage("ana")], "listed twice"),
    ],
)
def test_bad_patronage_is_refused(
    hours_bylaws: Bylaws, rows: list[Patronage], message: str
) -> None:
    with pytest.raises(AllocationError, match=message):
        allocate_surplus(100, hours_bylaws, rows)


def test_negative_surplus_is_refused(hours_bylaws: Bylaws) -> None:
    with pytest.raises(AllocationError, match="losses are not allocated"):
        allocate_surplus(-1, hours_bylaws, [])


def test_patronage_csv_reads_exact_decimals() -> None:
    rows = parse_patronage_csv("member,hours,purchases\nana,10.5,0.10\nben,,3\n")
    assert rows == [Patronage("ana", F(21, 2), F(1, 10)), Patronage("ben", F(0), F(3))]


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("name,hours,purchases\n", 1, "header"),
        ("member,hours,purchases\nana,1\n", 2, "row"),
        ("member,hours,purchases\nana,1,2\nben,-3,0\n", 3, "hours"),
        ("member,hours,purchases\nana,1,x\n", 2, "purchases"),
        ("member,hours,purchases\nana,1,1e3\n", 2, "purchases"),
        ("member,hours,purchases\n,1,2\n", 2, "member"),
        ("member,hours,purchases\nana,1,2\nana,1,2\n", 3, "member"),
        ("", 1, "header"),
    ],
)
def test_patronage_csv_errors_name_line_and_field(text: str, line: int, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_patronage_csv(text)
    assert (info.value.line, info.value.field) == (line, field)


@pytest.mark.parametrize(("text", "cents"), [("1234.56", 123456), ("7", 700), ("0.1", 10)])
def test_parse_cents(text: str, cents: int) -> None:
    assert parse_cents(text) == cents


def test_parse_cents_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(ValueError, match="more than two decimals"):
        parse_cents("1.005")


def test_largest_remainder_gives_cents_to_largest_remainders() -> None:
    assert largest_remainder(10, [F(10, 3), F(10, 3), F(10, 3)]) == ([3, 3, 3], 1)
    assert largest_remainder(10, [F(27, 10), F(37, 10), F(36, 10)]) == ([3, 4, 3], 0)


# --- invariants ---------------------------------------------------------------------

percent_splits = st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)).map(
    lambda t: (min(t), max(t) - min(t), 10_000 - max(t))
)


@st.composite
def bylaws_strategy(draw: st.DrawFn) -> Bylaws:
    reserves, social, members = draw(percent_splits)
    basis = draw(st.sampled_from(list(PatronageBasis)))
    hours_w = {"hours": 10_000, "purchases": 0}.get(basis.value, draw(st.integers(0, 10_000)))
    cash = draw(st.integers(0, 10_000))
    return Bylaws(
        version="h",
        reserves_bp=reserves,
        indivisible_reserves_bp=draw(st.integers(0, 10_000)),
        social_fund_bp=social,
        members_bp=members,
        patronage_basis=basis,
        hours_weight_bp=hours_w,
        purchases_weight_bp=10_000 - hours_w,
        cash_bp=cash,
        minimum_cash_bp=draw(st.integers(0, cash)),
    )


amounts = st.fractions(min_value=0, max_value=10_000, max_denominator=100)
patronage_rows = st.lists(
    st.builds(Patronage, st.none(), amounts, amounts), min_size=0, max_size=12
).map(lambda rows: [Patronage(f"m{i}", r.hours, r.purchases) for i, r in enumerate(rows)])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**10), bylaws_strategy(), patronage_rows)
def test_allocation_invariants(surplus: int, bylaws: Bylaws, rows: list[Patronage]) -> None:
    result = allocate_surplus(surplus, bylaws, rows)
    # sum == surplus, exactly
    assert sum(m.cents for m in result.members) + sum(f.cents for f in result.funds) == surplus
    # no negative shares, and cash + capital == member's cents
    for m in result.members:
        assert m.cents >= 0 and m.cash_cents >= 0 and m.capital_cents >= 0
        assert m.cash_cents + m.capital_cents == m.cents
        assert m.cash_cents * 10_000 >= m.cents * bylaws.cash_bp
        # proportionality within one cent of the exact share
        assert abs(m.cents - m.exact_cents) < 1
    for f in result.funds:
        assert f.cents >= 0
        if f.account != bylaws.collective_account:
            assert abs(f.cents - f.exact_cents) < 1
    # equal patronage, equal cents
    by_key: dict[tuple[F, F], set[int]] = {}
    for row, m in zip(rows, result.members, strict=True):
        by_key.setdefault((row.hours, row.purchases), set()).add(m.cents)
    assert all(len(v) == 1 for v in by_key.values())
