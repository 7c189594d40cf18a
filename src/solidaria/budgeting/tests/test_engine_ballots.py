"""Ballot rules: a ballot that breaks them is rejected with the reason."""

from __future__ import annotations

import pytest

from solidaria.budgeting.engine.ballots import BallotRules, validate_ballot
from solidaria.budgeting.engine.model import BallotType
from solidaria.budgeting.engine.pabulib import read

from .test_engine_pabulib import FULL

COSTS = {"a": 30, "b": 50, "c": 40, "w": 999999999}
APPROVAL = BallotRules(BallotType.APPROVAL, min_length=1, max_length=2, max_sum_cost=80)
CUMULATIVE = BallotRules(BallotType.CUMULATIVE, max_points=3, min_sum_points=1, max_sum_points=5)
ORDINAL = BallotRules(BallotType.ORDINAL, min_length=2, max_length=3)
CHOOSE_1 = BallotRules(BallotType.CHOOSE_1)


@pytest.mark.parametrize(
    ("rules", "projects", "points", "reason"),
    [
        (APPROVAL, ["a", "b"], None, None),
        (APPROVAL, [], None, "choose at least 1 projects (got 0)"),
        (APPROVAL, ["a", "b", "c"], None, "choose at most 2 projects (got 3)"),
        (APPROVAL, ["b", "c"], None, "total cost 90 is over the limit 80"),
        (APPROVAL, ["a", "a"], None, "a project is listed more than once"),
        (APPROVAL, ["zz"], None, "unknown project 'zz'"),
        (APPROVAL, ["w"], None, "project 'w' was withdrawn"),
        (APPROVAL, ["a"], [1], "approval ballots take no points"),
        (CUMULATIVE, ["a", "b"], [3, 2], None),
        (CUMULATIVE, ["a"], [4], "4 points for 'a' is over the maximum 3"),
        (CUMULATIVE, ["a", "b"], [3, 3], "6 points in total is over the maximum 5"),
        (CUMULATIVE, ["a", "b"], [3], "give points to every chosen project"),
        (CUMULATIVE, ["a"], [0], "points for 'a' must be positive (got 0)"),
        (ORDINAL, ["c", "a"], None, None),
        (ORDINAL, ["c"], None, "choose at least 2 projects (got 1)"),
        (ORDINAL, ["a", "b", "c", "w"], None, "project 'w' was withdrawn"),
        (CHOOSE_1, ["a"], None, None),
        (CHOOSE_1, ["a", "b"], None, "choose exactly one project (got 2)"),
    ],
)
def test_validate_ballot(
    rules: BallotRules, projects: list[str], points: list[int] | None, reason: str | None
) -> None:
    assert validate_ballot(rules, COSTS, projects, points, frozenset({"w"})) == reason


@pytest.mark.shared_data
def test_rules_from_file_accept_every_real_ballot() -> None:
    instance, profile = read(FULL / "Poland_Katowice_2020.pb")
    rules = BallotRules.from_instance(instance)
    assert rules == BallotRules(BallotType.CUMULATIVE, min_sum_points=1, max_sum_points=3)
    costs = {p.id: p.cost for p in instance.projects}
    ids = [p.id for p in instance.projects]
    assert profile.points is not None
    for ballot, pts in zip(profile.ballots[:2000], profile.points[:2000], strict=True):
        assert validate_ballot(rules, costs, [ids[i] for i in ballot], list(pts)) is None
