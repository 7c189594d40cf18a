"""The integer allocation path (`allocate_scaled`, `largest_remainder_scaled`, the
patronage reader's columns) gives exactly what the Fraction definitions give."""

from __future__ import annotations

from fractions import Fraction as F
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.governance.engine.allocation import (
    Patronage,
    allocate_scaled,
    allocate_surplus,
    fraction_text,
    patronage_shares,
)
from solidaria.governance.engine.bylaws import bylaws_from_dict
from solidaria.governance.engine.patronage_csv import parse_patronage_csv, read_patronage
from solidaria.governance.engine.rounding import largest_remainder, largest_remainder_scaled


@settings(max_examples=200, deadline=None)
@given(
    numerators=st.lists(st.integers(0, 10**6), max_size=12),
    denominator=st.integers(1, 1000),
)
def test_largest_remainder_scaled_is_largest_remainder(
    numerators: list[int], denominator: int
) -> None:
    # given shares whose total is a whole number of units
    short = -sum(numerators) % denominator
    numerators = [*numerators, short]
    total = sum(numerators) // denominator
    # when both roundings split it
    exact = [F(n, denominator) for n in numerators]
    expected = _reference_largest_remainder(total, exact)
    # then each agrees with the reference part for part and on the residue
    assert largest_remainder_scaled(total, numerators, denominator) == expected
    assert largest_remainder(total, exact) == expected


def _reference_largest_remainder(total: int, shares: list[F]) -> tuple[list[int], int]:
    """The documented rule, written independently of the engine: floors, then whole
    groups of equal nonzero remainders get one unit each, largest first, while the
    cents left cover the group; what is left is the residue."""
    parts = [s.numerator // s.denominator for s in shares]
    left = total - sum(parts)
    groups: dict[F, list[int]] = {}
    for i, s in enumerate(shares):
        if s != parts[i]:
            groups.setdefault(s - parts[i], []).append(i)
    for remainder in sorted(groups, reverse=True):
        members = groups[remainder]
        if len(members) > left:
            break
        for i in members:
            parts[i] += 1
        left -= len(members)
    return parts, left


def _bylaws(basis: str, hours_weight: int) -> Any:
    data: dict[str, Any] = {
        "version": "t",
        "reserves": "30",
        "indivisible_reserves": "50",
        "social_fund": "10",
        "members": "60",
        "patronage_basis": basis,
        "cash": "30",
    }
    if basis == "mixed":
        data["mixed_weights"] = {"hours": str(hours_weight), "purchases": str(100 - hours_weight)}
    return bylaws_from_dict(data)


amounts = st.fractions(min_value=0, max_value=10**6, max_denominator=400)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(amounts, amounts), max_size=10),
    surplus=st.integers(0, 10**9),
    basis=st.sampled_from(["hours", "purchases", "mixed"]),
    hours_weight=st.integers(0, 100),
)
def test_allocate_surplus_matches_the_fraction_definition(
    rows: list[tuple[F, F]], surplus: int, basis: str, hours_weight: int
) -> None:
    bylaws = _bylaws(basis, hours_weight)
    patronage = [Patronage(f"m{i}", h, p) for i, (h, p) in enumerate(rows)]
    result = allocate_surplus(surplus, bylaws, patronage)
    # each member's exact cents are the members' pool times their Fraction share
    pool = F(surplus * bylaws.members_bp, 10_000)
    shares = patronage_shares(bylaws, patronage)
    assert [m.patronage_share for m in result.members] == shares
    if any(shares):
        assert [m.exact_cents for m in result.members] == [pool * s for s in shares]
    assert all(abs(m.cents - m.exact_cents) < 1 for m in result.members)
    assert result.total_cents == surplus
    assert all(m.patronage_share_text == str(m.patronage_share) for m in result.members)


def test_reader_columns_allocate_as_the_rows_do() -> None:
    text = "member,hours,purchases\nana,10.5,0.10\nben,,3\ncarla,2.25,7.5\n"
    bylaws = _bylaws("mixed", 70)
    columns = read_patronage(text)
    by_columns = allocate_scaled(123_456, bylaws, columns.members, columns.hours, columns.purchases)
    by_rows = allocate_surplus(123_456, bylaws, parse_patronage_csv(text))
    assert _values(by_columns) == _values(by_rows)
    assert (columns.hours, columns.hours_decimals) == ([1050, 0, 225], 2)


def _values(allocation: Any) -> Any:
    members = [
        (m.member, m.cents, m.cash_cents, m.capital_cents, m.patronage_share, m.exact_cents)
        for m in allocation.members
    ]
    return members, allocation.funds, allocation.residue_cents


def test_fraction_text() -> None:
    assert [fraction_text(*p) for p in [(2, 4), (0, 7), (6, 3), (-1, 3)]] == [
        "1/2",
        "0",
        "2",
        "-1/3",
    ]
