"""Conformance with pabutools 1.2.3 (GPL, test-only: never imported from src/solidaria).

Plain MES (cost and approval utilities) and pabutools' Add1 variant on shared files and on random
instances. pabutools' lexicographic tie-breaking is used on our side for these comparisons.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pabutools = pytest.importorskip("pabutools")
from pabutools.election import (  # noqa: E402
    ApprovalBallot,
    ApprovalProfile,
    Cardinality_Sat,
    Cost_Sat,
    parse_pabulib,
)
from pabutools.election import Instance as PInstance  # noqa: E402
from pabutools.election import Project as PProject  # noqa: E402
from pabutools.rules import method_of_equal_shares  # noqa: E402

from solidaria.budgeting.engine.completion import Completion  # noqa: E402
from solidaria.budgeting.engine.completion import method_of_equal_shares as ours  # noqa: E402
from solidaria.budgeting.engine.mes import TieBreaking, Utility  # noqa: E402
from solidaria.budgeting.engine.model import BallotType, Instance, Profile, Project  # noqa: E402
from solidaria.budgeting.engine.pabulib import read  # noqa: E402

from .test_engine_pabulib import DATA, FULL  # noqa: E402

SAT = {Utility.COST: Cost_Sat, Utility.APPROVAL: Cardinality_Sat}
FAST_FILES = [
    "Netherlands_Assen_2024.pb",
    "Poland_Swiecie_2023.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
    "US_Stanford_Dataset_PB_Cambridge_2015_vote_knapsacks.pb",
]
SLOW_FILES = [
    "France_Toulouse_2024.pb",
    pytest.param("Poland_Katowice_2020.pb", marks=pytest.mark.shared_data),
]


def _ours(
    instance: Instance, profile: Profile, utility: Utility, completion: Completion
) -> list[str]:
    outcome = ours(
        instance,
        profile,
        utility=utility,
        completion=completion,
        tie_breaking=TieBreaking.LEXICOGRAPHIC,
    )
    return sorted(outcome.selected)


def _file_case(name: str, utility: Utility, increment: int | None) -> None:
    folder = DATA if (DATA / name).is_file() else FULL
    instance, profile = read(folder / name)
    p_instance, p_profile = parse_pabulib(str(folder / name))
    theirs = method_of_equal_shares(
        p_instance, p_profile, sat_class=SAT[utility], voter_budget_increment=increment
    )
    completion = Completion.NONE if increment is None else Completion.ADD1_PABUTOOLS
    assert _ours(instance, profile, utility, completion) == sorted(p.name for p in theirs)


@pytest.mark.parametrize("utility", list(Utility))
@pytest.mark.parametrize("name", FAST_FILES)
def test_plain_mes_equals_pabutools_on_files(name: str, utility: Utility) -> None:
    _file_case(name, utility, None)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_FILES)
def test_plain_mes_equals_pabutools_on_bigger_files(name: str) -> None:
    _file_case(name, Utility.COST, None)


def test_add1_pabutools_variant_equals_pabutools_on_assen() -> None:
    _file_case("Netherlands_Assen_2024.pb", Utility.COST, 1)


@pytest.mark.slow
def test_add1_pabutools_variant_equals_pabutools_on_swiecie() -> None:
    _file_case("Poland_Swiecie_2023.pb", Utility.COST, 1)


@st.composite
def elections(draw: st.DrawFn) -> tuple[Instance, Profile]:
    m = draw(st.integers(1, 6))
    costs = draw(st.lists(st.integers(1, 30), min_size=m, max_size=m))
    budget = draw(st.integers(1, 60))
    ballots = draw(
        st.lists(st.lists(st.integers(0, m - 1), unique=True, max_size=m), min_size=1, max_size=8)
    )
    projects = tuple(Project(f"p{i}", c) for i, c in enumerate(costs))
    return Instance(projects, budget), Profile(
        BallotType.APPROVAL, tuple(tuple(b) for b in ballots)
    )


def _pabutools(instance: Instance, profile: Profile) -> tuple[PInstance, ApprovalProfile]:
    projects = [PProject(p.id, p.cost) for p in instance.projects]
    p_instance = PInstance(projects, budget_limit=instance.budget)
    p_profile = ApprovalProfile(
        [ApprovalBallot([projects[i] for i in b]) for b in profile.ballots], instance=p_instance
    )
    return p_instance, p_profile


@settings(max_examples=150, deadline=None)
@given(elections(), st.sampled_from(list(Utility)), st.booleans())
def test_random_instances_equal_pabutools(
    election: tuple[Instance, Profile], utility: Utility, add1: bool
) -> None:
    instance, profile = election
    p_instance, p_profile = _pabutools(instance, profile)
    theirs = method_of_equal_shares(
        p_instance, p_profile, sat_class=SAT[utility], voter_budget_increment=1 if add1 else None
    )
    completion = Completion.ADD1_PABUTOOLS if add1 else Completion.NONE
    assert _ours(instance, profile, utility, completion) == sorted(p.name for p in theirs)


def test_pabutools_per_voter_budget_starts_unfloored() -> None:
    # given 3 voters and budget 10 / when Add1 pabutools / then budgets go 10/3, 13/3, ...
    instance = Instance((Project("a", 4), Project("b", 6)), 10)
    profile = Profile(BallotType.APPROVAL, ((0,), (0,), (1,)))
    outcome = ours(instance, profile, completion=Completion.ADD1_PABUTOOLS)
    assert Fraction(outcome.parameters["per_voter_budget"]).denominator == 3
    assert sorted(outcome.selected) == ["a", "b"]
