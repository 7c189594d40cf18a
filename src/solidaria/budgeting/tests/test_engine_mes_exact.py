"""The fast MES (float screening, exact decisions) equals a naive all-Fraction MES, price by price.

Small integer costs and budgets make exact ties (between projects, and between a voter's budget
and a price) frequent, which is where a float shortcut would go wrong.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.budgeting.engine.budgets import Budgets, Evaluation
from solidaria.budgeting.engine.mes import Prepared, TieBreaking, Utility, run_mes
from solidaria.budgeting.engine.model import BallotType, Instance, Profile, Project


def _naive_mes(
    instance: Instance, profile: Profile, utility: Utility, b: Fraction
) -> tuple[list[int], list[Fraction]]:
    """Textbook MES over single voters with Fractions; ties: lower cost, more supporters, id."""
    approval_like = profile.points is None and profile.ballot_type is not BallotType.ORDINAL
    utils: list[dict[int, int]] = []
    for v in range(profile.num_voters):
        row: dict[int, int] = {}
        for p, pts in profile.utilities(v):
            cost = instance.projects[p].cost
            u = (cost if utility is Utility.COST else 1) if approval_like else pts
            if u > 0:
                row[p] = u
        utils.append(row)
    money = [b] * profile.num_voters
    left = [
        i
        for i, p in enumerate(instance.projects)
        if not p.is_withdrawn and p.cost > 0 and any(i in row for row in utils)
    ]
    chosen: list[int] = []
    prices: list[Fraction] = []
    while True:
        best: tuple[Fraction, int, int, str] | None = None
        best_p = -1
        for p in list(left):
            cost = instance.projects[p].cost
            sup = [(money[v], utils[v][p]) for v in range(len(utils)) if p in utils[v]]
            if sum(m for m, _ in sup) < cost:
                left.remove(p)
                continue
            sup.sort(key=lambda t: t[0] / t[1])
            poor, rich = Fraction(0), sum(u for _, u in sup)
            for m, u in sup:
                rho = (cost - poor) / rich
                if rho * u <= m:
                    break
                poor += m
                rich -= u
            key = (rho, cost, -len(sup), instance.projects[p].id)
            if best is None or key < best:
                best, best_p = key, p
        if best is None:
            return chosen, prices
        rho = best[0]
        for v, row in enumerate(utils):
            if best_p in row:
                money[v] -= min(money[v], rho * row[best_p])
        left.remove(best_p)
        chosen.append(best_p)
        prices.append(rho)


@st.composite
def elections(draw: st.DrawFn) -> tuple[Instance, Profile]:
    m = draw(st.integers(1, 6))
    costs = draw(st.lists(st.integers(1, 12), min_size=m, max_size=m))
    kind = draw(st.sampled_from([BallotType.APPROVAL, BallotType.CUMULATIVE]))
    ballots = draw(
        st.lists(st.lists(st.integers(0, m - 1), unique=True, max_size=m), min_size=1, max_size=12)
    )
    points = None
    if kind is BallotType.CUMULATIVE:
        points = tuple(tuple(draw(st.integers(1, 3)) for _ in b) for b in ballots)
    projects = tuple(Project(f"p{i}", c) for i, c in enumerate(costs))
    budget = draw(st.integers(1, 40))
    return Instance(projects, budget), Profile(kind, tuple(map(tuple, ballots)), points)


@settings(max_examples=200, deadline=None)
@given(elections(), st.sampled_from(list(Utility)), st.integers(0, 4))
def test_fast_mes_equals_naive_exact_mes(
    election: tuple[Instance, Profile], utility: Utility, extra: int
) -> None:
    instance, profile = election
    b = Fraction(instance.budget, profile.num_voters) + extra
    prepared = Prepared(instance, profile, utility)
    run = run_mes(prepared, b, tie_breaking=TieBreaking.EQUALSHARES)
    chosen, prices = _naive_mes(instance, profile, utility, b)
    assert list(run.selected) == chosen
    assert list(run.prices) == prices


def test_budget_equal_to_price_is_decided_exactly() -> None:
    # given voters whose whole budget equals their share of the second project exactly
    # (a tie no float comparison can settle)
    instance = Instance((Project("a", 3), Project("b", 4)), 7)
    profile = Profile(BallotType.APPROVAL, ((0,), (0, 1), (0, 1), (1,)))
    # when MES runs with per-voter budget 7/4
    run = run_mes(Prepared(instance, profile, Utility.COST), Fraction(7, 4))
    # then it agrees with the naive exact count, prices included
    chosen, prices = _naive_mes(instance, profile, Utility.COST, Fraction(7, 4))
    assert (list(run.selected), list(run.prices)) == (chosen, prices)


def test_exact_price_fallback_agrees_with_main_path() -> None:
    # given a run state after one funded project
    instance = Instance((Project("a", 6), Project("b", 9), Project("c", 5)), 20)
    profile = Profile(BallotType.APPROVAL, ((0, 1), (0, 1), (1, 2), (2,), (0, 1, 2)))
    prepared = Prepared(instance, profile, Utility.COST)
    state = Budgets(prepared, Fraction(4))
    first = prepared.projects[0]
    ev = state.evaluate(first, 0.0)
    assert isinstance(ev, Evaluation)
    state.charge(0, first, state.exact_price(first, ev))
    # when the next project is priced by the verified float split and by the full exact sort
    second = prepared.projects[1]
    ev2 = state.evaluate(second, 0.0)
    assert ev2 is not None
    fast = state.exact_price(second, ev2)
    slow = state._exact_price_sorted(second)
    # then both give the same exact price and the same payers
    assert fast.rho == slow.rho
    assert fast.rich.tolist() == slow.rich.tolist()
