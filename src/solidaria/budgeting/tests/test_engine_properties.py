"""Invariants on random elections: no rule overspends; MES outcomes are priceable, exactly."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.budgeting.engine.completion import Completion
from solidaria.budgeting.engine.mes import Prepared, TieBreaking, Utility, run_mes
from solidaria.budgeting.engine.model import BallotType, Instance, Profile, Project
from solidaria.budgeting.engine.rules import RULES, count


@st.composite
def elections(draw: st.DrawFn) -> tuple[Instance, Profile]:
    m = draw(st.integers(1, 7))
    costs = draw(st.lists(st.integers(1, 40), min_size=m, max_size=m))
    budget = draw(st.integers(1, 80))
    kind = draw(st.sampled_from([BallotType.APPROVAL, BallotType.CUMULATIVE, BallotType.ORDINAL]))
    ballots = draw(
        st.lists(st.lists(st.integers(0, m - 1), unique=True, max_size=m), min_size=1, max_size=9)
    )
    points = None
    if kind is BallotType.CUMULATIVE:
        points = tuple(tuple(draw(st.integers(1, 5)) for _ in b) for b in ballots)
    projects = tuple(Project(f"p{i}", c) for i, c in enumerate(costs))
    meta = {"min_project_score_threshold": str(draw(st.integers(0, 3)))}
    return Instance(projects, budget, meta), Profile(kind, tuple(map(tuple, ballots)), points)


@settings(max_examples=60, deadline=None)
@given(elections(), st.sampled_from(sorted(RULES)))
def test_no_rule_exceeds_the_budget(election: tuple[Instance, Profile], rule: str) -> None:
    instance, profile = election
    outcome = count(instance, profile, rule)
    assert outcome.cost == sum(p.cost for p in instance.projects if p.id in outcome.selected)
    assert outcome.cost <= instance.budget
    assert len(set(outcome.selected)) == len(outcome.selected)


def _check_priceable(
    instance: Instance, profile: Profile, utility: Utility, per_voter: Fraction
) -> None:
    """Replay the payments voter by voter with plain Fractions (independent of the engine)."""
    prepared = Prepared(instance, profile, utility)
    run = run_mes(prepared, per_voter, tie_breaking=TieBreaking.EQUALSHARES)
    money = [per_voter] * profile.num_voters

    def util(v: int, p: int) -> int:
        for q, pts in profile.utilities(v):
            if q == p and pts > 0:
                approval_like = profile.points is None and profile.ballot_type != BallotType.ORDINAL
                if approval_like:
                    return instance.projects[p].cost if utility is Utility.COST else 1
                return pts
        return 0

    for p, rho in zip(run.selected, run.prices, strict=True):
        paid = Fraction(0)
        for v in range(profile.num_voters):
            u = util(v, p)
            share = min(money[v], rho * u) if u else Fraction(0)
            assert 0 <= share <= money[v]  # within what is left of the equal share
            money[v] -= share
            paid += share
        assert paid == instance.projects[p].cost  # supporters pay exactly the cost
    left = set(range(len(instance.projects))) - set(run.selected)
    for p in left:  # MES stops only when no other project is affordable by its supporters
        if instance.projects[p].is_withdrawn:
            continue
        behind = sum((money[v] for v in range(profile.num_voters) if util(v, p)), Fraction(0))
        assert behind < instance.projects[p].cost or not any(
            util(v, p) for v in range(profile.num_voters)
        )


@settings(max_examples=80, deadline=None)
@given(elections(), st.sampled_from(list(Utility)), st.integers(0, 3))
def test_mes_outcome_is_priceable(
    election: tuple[Instance, Profile], utility: Utility, extra: int
) -> None:
    instance, profile = election
    per_voter = Fraction(instance.budget, profile.num_voters) + extra
    _check_priceable(instance, profile, utility, per_voter)


def test_equalshares_ties_go_to_lower_cost_then_more_supporters() -> None:
    # given two projects with the same price per unit / then the cheaper wins the tie
    instance = Instance((Project("big", 20), Project("small", 10)), 20)
    profile = Profile(BallotType.APPROVAL, ((0,), (0,), (1,), (1,)))
    first = count(instance, profile, "mes").selected[0]
    assert first == "small"
    assert Completion.ADD1.value == "add1"
