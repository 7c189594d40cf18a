"""Ballot rules and the check a ballot must pass before it is stored.

``validate_ballot`` returns ``None`` for a valid ballot, else a human-readable reason.
Limits follow Pabulib's META names: ``min_length``/``max_length`` (number of projects),
``min_sum_cost``/``max_sum_cost`` (the knapsack "cart"), ``max_points`` (per project),
``min_sum_points``/``max_sum_points`` (total points).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import BallotType, Instance


@dataclass(frozen=True, slots=True)
class BallotRules:
    ballot_type: BallotType
    min_length: int | None = None
    max_length: int | None = None
    min_sum_cost: int | None = None
    max_sum_cost: int | None = None
    max_points: int | None = None
    min_sum_points: int | None = None
    max_sum_points: int | None = None

    @classmethod
    def from_instance(cls, instance: Instance) -> BallotRules:
        """The limits a Pabulib file's META states (absent keys mean no limit)."""
        kind = BallotType(instance.meta.get("vote_type", "approval"))
        return cls(
            kind,
            min_length=instance.meta_int("min_length"),
            max_length=instance.meta_int("max_length"),
            min_sum_cost=instance.meta_amount("min_sum_cost", round_up=True),
            max_sum_cost=instance.meta_amount("max_sum_cost"),
            max_points=instance.meta_int("max_points"),
            min_sum_points=instance.meta_int("min_sum_points"),
            max_sum_points=instance.meta_int("max_sum_points"),
        )


def validate_ballot(
    rules: BallotRules,
    project_costs: Mapping[str, int],
    projects: Sequence[str],
    points: Sequence[int] | None = None,
    withdrawn: frozenset[str] = frozenset(),
) -> str | None:
    """Why the ballot breaks the rules, or ``None`` if it is valid.

    ``projects`` are project ids (ranking order for ordinal ballots); ``points`` the matching
    points for cumulative/scoring ballots.
    """
    n = len(projects)
    if len(set(projects)) != n:
        return "a project is listed more than once"
    for pid in projects:
        if pid not in project_costs:
            return f"unknown project {pid!r}"
        if pid in withdrawn:
            return f"project {pid!r} was withdrawn"
    kind = rules.ballot_type
    if kind is BallotType.CHOOSE_1 and n != 1:
        return f"choose exactly one project (got {n})"
    if rules.min_length is not None and n < rules.min_length:
        return f"choose at least {rules.min_length} projects (got {n})"
    if rules.max_length is not None and n > rules.max_length:
        return f"choose at most {rules.max_length} projects (got {n})"
    total_cost = sum(project_costs[p] for p in projects)
    if rules.max_sum_cost is not None and total_cost > rules.max_sum_cost:
        return f"total cost {total_cost} is over the limit {rules.max_sum_cost}"
    if rules.min_sum_cost is not None and total_cost < rules.min_sum_cost:
        return f"total cost {total_cost} is under the minimum {rules.min_sum_cost}"
    if kind in (BallotType.CUMULATIVE, BallotType.SCORING):
        if points is None or len(points) != n:
            return "give points to every chosen project"
        for pid, pts in zip(projects, points, strict=True):
            if pts <= 0:
                return f"points for {pid!r} must be positive (got {pts})"
            if rules.max_points is not None and pts > rules.max_points:
                return f"{pts} points for {pid!r} is over the maximum {rules.max_points}"
        total = sum(points)
        if rules.max_sum_points is not None and total > rules.max_sum_points:
            return f"{total} points in total is over the maximum {rules.max_sum_points}"
        if rules.min_sum_points is not None and total < rules.min_sum_points:
            return f"{total} points in total is under the minimum {rules.min_sum_points}"
    elif points is not None:
        return f"{kind.value} ballots take no points"
    return None
