"""Network-indicator engine over plain data: each formula, and the shares it refuses."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidaria.indicators.engine.network import (
    INDICATORS,
    AccountBalance,
    BudgetTurnout,
    ClearingApplied,
    CurrencyInfo,
    NetworkData,
    Payment,
    PollTurnout,
    UnknownIndicator,
    compute,
)
from solidaria.indicators.network_catalogue import load

EUR = CurrencyInfo("EUR", False, 2)
TIME = CurrencyInfo("TIME", True, 0)


def _by_key(data: NetworkData) -> dict[tuple[str, str], Fraction]:
    return {(f.indicator, f.subject): f.value for f in compute(list(INDICATORS), data)}


def test_the_catalogue_and_the_engine_name_the_same_indicators() -> None:
    assert [i.code for i in load().indicators] == list(INDICATORS)


def test_clearing_and_budgeting_figures() -> None:
    data = NetworkData(
        currencies=(EUR,),
        clearing=(ClearingApplied("EUR", 10_000, 2_500), ClearingApplied("EUR", 6_000, 1_500)),
        budgets=(BudgetTurnout("park", "Park", 40, 10), BudgetTurnout("empty", "Empty", 0, 0)),
        polls=(PollTurnout("7", "Oven", 3, 3),),
    )
    got = _by_key(data)
    assert got[("clearing.set_off", "EUR")] == 4_000
    assert got[("clearing.liquidity_saved", "EUR")] == Fraction(4_000, 16_000)
    assert got[("budgeting.turnout", "park")] == Fraction(1, 4)
    assert ("budgeting.turnout", "empty") not in got  # no electorate: no figure
    assert got[("governance.poll_turnout", "7")] == 1
    assert ("governance.members_voting", "") not in got  # no members


def test_time_bank_counts_people_once_and_money_is_not_time() -> None:
    data = NetworkData(
        currencies=(EUR, TIME),
        payments=(
            Payment("TIME", 60, 1, 2),
            Payment("TIME", 30, 2, 3),
            Payment("TIME", 15, 1, None),  # an organisation's account: no person
            Payment("EUR", 500, 1, 2),
        ),
        balances=(
            AccountBalance("EUR", 500),
            AccountBalance("EUR", -500),
            AccountBalance("EUR", 0),
        ),
    )
    got = _by_key(data)
    assert got[("timebank.minutes", "TIME")] == 105
    assert got[("timebank.people", "TIME")] == 3
    assert got[("ledger.volume", "EUR")] == 500
    assert got[("ledger.velocity", "EUR")] == 1
    assert got[("ledger.accounts_in_credit", "EUR")] == Fraction(1, 3)
    assert got[("ledger.accounts_in_debt", "EUR")] == Fraction(1, 3)  # 0 is in neither


def test_an_indicator_the_engine_does_not_know_is_refused() -> None:
    with pytest.raises(UnknownIndicator, match="gdp.growth"):
        compute(["gdp.growth"], NetworkData())


@given(st.lists(st.integers(-10_000, 10_000), max_size=30))
def test_credit_and_debt_shares_never_exceed_one(balances: list[int]) -> None:
    data = NetworkData(
        currencies=(EUR,), balances=tuple(AccountBalance("EUR", b) for b in balances)
    )
    got = _by_key(data)
    if not balances:
        assert ("ledger.accounts_in_credit", "EUR") not in got
        return
    credit, debt = (
        got[("ledger.accounts_in_credit", "EUR")],
        got[("ledger.accounts_in_debt", "EUR")],
    )
    assert 0 <= credit + debt <= 1
    assert credit * len(balances) == sum(1 for b in balances if b > 0)
