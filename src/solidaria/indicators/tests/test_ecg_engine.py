"""ECG engine: the weighting rules as tables, and the properties that hold for any input.

Properties (hypothesis): topic maxima add up to exactly 1000 for any weights; a topic's
points lie in [max x -20, max] (at most 5 negative aspects of -4 x max each); the total
lies in [-3600, 1000]; raising an estimation never lowers the total.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.indicators import catalogues
from solidaria.indicators.engine.ecg import BalanceError, RatingInput, compute_balance
from solidaria.indicators.engine.ecg_facts import (
    CompanyFacts,
    CompanySize,
    EmployeesFraction,
    IndustrySector,
    SupplyFraction,
    analyse_facts,
    stakeholder_weights,
    topic_weights,
)

CAT = catalogues.ecg_catalogue()
TABLES = catalogues.ecg_tables()
F = Fraction


def _weights(**facts: object) -> dict[str, Fraction]:
    f = CompanyFacts(**facts)  # type: ignore[arg-type]
    return topic_weights(f, analyse_facts(f, TABLES))


def test_all_zero_facts_weigh_every_topic_1() -> None:
    assert set(_weights().values()) == {F(1)}
    assert set(_weights(has_canteen=False).values()) == {F(1)}  # "no canteen" is still empty


@pytest.mark.parametrize(
    ("facts", "topic", "weight"),
    [
        # B2 and E2 follow profit / turnover
        ({"turnover": F(1000), "profit": F(200)}, "B2", F(3, 2)),
        ({"turnover": F(1000), "profit": F(0)}, "B2", F(0)),
        ({"turnover": F(1000), "profit": F(20)}, "B2", F(1, 2)),
        ({"turnover": F(1000), "profit": F(50)}, "B2", F(1)),
        ({"turnover": F(1000), "profit": F(40)}, "E2", F(1, 2)),
        ({"turnover": F(1000), "profit": F(100)}, "E2", F(1)),  # 0.1 is not > 0.1
        ({"turnover": F(1000), "profit": F(101)}, "E2", F(3, 2)),
        # size: micro below 10 people with turnover or assets up to 2 million
        ({"number_of_employees": F(9), "turnover": F(5)}, "B4", F(1, 2)),
        ({"number_of_employees": F(10), "turnover": F(5)}, "B4", F(1)),
        ({"number_of_employees": F(10), "turnover": F(5)}, "E4", F(1, 2)),  # small
        ({"number_of_employees": F(300), "turnover": F(5)}, "E4", F(1)),
        ({"number_of_employees": F(1), "turnover": F(5)}, "C4", F(0)),  # one person: no C4
        # commuting and canteen
        ({"average_journey_to_work_km": F(5), "has_canteen": False}, "C3", F(1, 2)),
        ({"average_journey_to_work_km": F(5), "has_canteen": True}, "C3", F(1)),
        ({"average_journey_to_work_km": F(26)}, "C3", F(3, 2)),
        ({"is_b2b": True}, "D4", F(3, 2)),
        # B1 from turnover / total assets, B3 from (fixed-asset additions + cash) / assets
        ({"turnover": F(6), "total_assets": F(10)}, "B1", F(1, 2)),
        ({"turnover": F(3), "total_assets": F(10)}, "B1", F(1)),
        (
            {"turnover": F(3), "total_assets": F(10), "additions_to_fixed_assets": F(3)},
            "B3",
            F(3, 2),
        ),
        (
            {"turnover": F(1), "industry_sectors": (IndustrySector("K", F(1)),)},
            "B1",
            F(2),
        ),  # financial services
        # E4: mining or construction; D3/E3: ecological design of what is sold, weighted by
        # turnover, the unlisted rest counting 1 (F is 2: 2 x 1/2 + 1/2 = 1.5 -> 1.5)
        ({"turnover": F(1), "industry_sectors": (IndustrySector("F", F(1, 2)),)}, "E4", F(3, 2)),
        ({"turnover": F(1), "industry_sectors": (IndustrySector("F", F(1, 2)),)}, "D3", F(3, 2)),
        ({"turnover": F(1), "industry_sectors": (IndustrySector("G", F(1)),)}, "E3", F(2)),
        ({"turnover": F(1), "industry_sectors": (IndustrySector("M", F(1)),)}, "D3", F(1)),
    ],
)
def test_topic_weight_rules(facts: dict[str, object], topic: str, weight: Fraction) -> None:
    assert _weights(**facts)[topic] == weight


def test_supply_chain_needs_five_fractions_with_an_industry() -> None:
    four = tuple(SupplyFraction("DEU", "A", F(100)) for _ in range(4))
    assert _weights(total_purchase_from_suppliers=F(400), supply_fractions=four)["A3"] == 1
    five = (*four, SupplyFraction("DEU", "A", F(100)))  # industry A: risk 2 > 1.5
    assert _weights(total_purchase_from_suppliers=F(500), supply_fractions=five)["A3"] == 2
    no_industry = (*four, SupplyFraction("DEU", None, F(100)))
    assert _weights(total_purchase_from_suppliers=F(500), supply_fractions=no_industry)["A3"] == 1


def test_supply_ituc_average_counts_rest_of_world_as_2_99_before_5_0_9() -> None:
    facts = CompanyFacts(total_purchase_from_suppliers=F(100), main_origin_of_other_suppliers="AWO")
    assert analyse_facts(facts, TABLES).supply_ituc_average == F("2.99")
    newer = analyse_facts(facts, TABLES, legacy_world_ituc=False).supply_ituc_average
    assert newer == TABLES.regions["AWO"].ituc


def test_employees_ituc_skips_countries_after_lka_as_the_spreadsheet_does() -> None:
    staff = (EmployeesFraction("AFG", F(1, 2)), EmployeesFraction("USA", F(1, 2)))
    facts = CompanyFacts(
        total_staff_costs=F(100), number_of_employees=F(60), employees_fractions=staff
    )
    analysis = analyse_facts(facts, TABLES)
    assert analysis.employees_ituc_average == F(1, 2) * TABLES.regions["AFG"].ituc
    assert analysis.company_size is CompanySize.MIDDLE  # 50..249 people


@pytest.mark.parametrize(
    ("supply", "staff", "financial", "expected"),
    [
        (F(0), F(0), F(0), {"A": F(1), "B": F(1), "C": F(1)}),  # zero denominator: ratio 100
        (F(100), F(0), F(0), {"A": F(2), "B": F(1, 2), "C": F(1, 2)}),  # A: 300, B and C: 60
        (F(60), F(40), F(0), {"A": F(3, 2), "B": F(1, 2), "C": F(3, 2)}),  # A 180, C 240
    ],
)
def test_stakeholder_weights_from_risk_shares(
    supply: Fraction, staff: Fraction, financial: Fraction, expected: dict[str, Fraction]
) -> None:
    facts = CompanyFacts(
        total_purchase_from_suppliers=supply / TABLES.regions["AWO"].ppp_index,
        total_staff_costs=staff / F("1.00304566871495"),
        profit=financial,
    )
    weights = stakeholder_weights(analyse_facts(facts, TABLES))
    assert {k: weights[k] for k in "ABC"} == expected
    assert weights["D"] == weights["E"] == 1


def test_every_topic_at_weight_0_is_refused() -> None:
    zero = [RatingInput(t.code, weight=F(0), weight_chosen=True) for t in CAT.topics]
    with pytest.raises(BalanceError, match="every topic weighs 0"):
        compute_balance(CAT.topics, zero, CompanyFacts(), TABLES)


def test_total_is_floored_at_minus_3600() -> None:
    worst = [
        RatingInput(a.code, F(-200)) for t in CAT.topics for a in t.aspects if not a.is_positive
    ]
    balance = compute_balance(CAT.topics, worst, CompanyFacts(), TABLES)
    # 19 negative aspects (E2 has two, A4 and B1 none), each -200 x 50 / 50
    assert sum(t.points for t in balance.topics) == -3800
    assert balance.total == -3600


# --- properties ----------------------------------------------------------------------

weights = st.sampled_from([F(0), F(1, 2), F(1), F(3, 2), F(2)])
group_weights = st.fractions(min_value=0, max_value=4, max_denominator=8)
POSITIVE = [a.code for t in CAT.topics for a in t.aspects if a.is_positive]
NEGATIVE = [a.code for t in CAT.topics for a in t.aspects if not a.is_positive]


@st.composite
def balances_input(draw: st.DrawFn) -> tuple[list[RatingInput], dict[str, Fraction]]:
    topic_w = draw(st.lists(weights, min_size=20, max_size=20))
    if not any(topic_w):
        topic_w[0] = F(1)
    chosen = draw(st.lists(st.booleans(), min_size=20, max_size=20))
    items = [
        RatingInput(t.code, weight=w, weight_chosen=c)
        for t, w, c in zip(CAT.topics, topic_w, chosen, strict=True)
    ]
    items += [
        RatingInput(code, F(draw(st.integers(0, 10))), weight=draw(weights) or None)
        for code in POSITIVE
    ]
    items += [RatingInput(code, F(draw(st.integers(-200, 0)))) for code in NEGATIVE]
    groups = draw(st.dictionaries(st.sampled_from("ABCDE"), group_weights.filter(bool)))
    return items, groups


@settings(max_examples=60, deadline=None)
@given(balances_input())
def test_maxima_sum_to_1000_and_points_stay_in_bounds(
    data: tuple[list[RatingInput], dict[str, Fraction]],
) -> None:
    items, groups = data
    balance = compute_balance(
        CAT.topics, items, CompanyFacts(), TABLES, chosen_stakeholder_weights=groups
    )
    assert sum(t.max_points for t in balance.topics) == 1000
    for t in balance.topics:
        assert t.max_points * -20 <= t.points <= t.max_points
    assert -3600 <= balance.total <= 1000
    assert {g: balance.stakeholder_weights[g] for g in groups} == groups


@settings(max_examples=40, deadline=None)
@given(balances_input(), st.sampled_from(POSITIVE + NEGATIVE))
def test_a_better_estimation_never_lowers_the_total(
    data: tuple[list[RatingInput], dict[str, Fraction]], code: str
) -> None:
    items, groups = data
    before = compute_balance(
        CAT.topics, items, CompanyFacts(), TABLES, chosen_stakeholder_weights=groups
    )
    better = [
        RatingInput(i.code, min(i.estimation + 1, F(10) if i.code in POSITIVE else F(0)), i.weight)
        if i.code == code
        else i
        for i in items
    ]
    after = compute_balance(
        CAT.topics, better, CompanyFacts(), TABLES, chosen_stakeholder_weights=groups
    )
    assert after.total >= before.total
