"""Greedy by votes, as Pabulib's checker defines its variants.

Projects are taken by score, highest first; equal scores keep the PROJECTS order of the
file (a stable sort, as Pabulib does). The score is the number of voters for approval and
choose-1 ballots, the sum of points for cumulative/scoring, and Pabulib's positional
points for ordinal ballots (first of k gets k). Withdrawn projects (cost 999999999) never win.

- ``greedy``: a project that does not fit the remaining budget is skipped, the next is tried.
- ``greedy-threshold``: only projects with score >= META ``min_project_score_threshold``.
- ``greedy-no-skip``: stop at the first project that does not fit.
- ``greedy-exclusive``: like greedy, but of each group of mutually exclusive projects at most
  one (the first reached) can win.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .model import Instance, Profile
from .outcome import Outcome, ProjectDetail


def scores(instance: Instance, profile: Profile) -> list[int]:
    """Score of each project (index-aligned with ``instance.projects``)."""
    totals = [0] * len(instance.projects)
    if profile.points is None and profile.ballot_type.value != "ordinal":
        for ballot in profile.ballots:
            for p in ballot:
                totals[p] += 1
        return totals
    for v in range(profile.num_voters):
        for p, pts in profile.utilities(v):
            totals[p] += pts
    return totals


def greedy(
    instance: Instance,
    profile: Profile,
    *,
    threshold: int = 0,
    skip: bool = True,
    exclusive_groups: Iterable[Iterable[str]] = (),
    rule: str = "greedy",
    project_scores: Sequence[int] | None = None,
) -> Outcome:
    """Greedy by score; see the module docstring for the variants' semantics."""
    score = list(project_scores) if project_scores is not None else scores(instance, profile)
    projects = instance.projects
    order = sorted(range(len(projects)), key=lambda i: -score[i])
    conflicts: dict[str, set[str]] = {}
    for group in exclusive_groups:
        members = set(group)
        for m in members:
            conflicts.setdefault(m, set()).update(members - {m})
    remaining = instance.budget
    selected: list[str] = []
    chosen: set[str] = set()
    details: dict[str, ProjectDetail] = {}
    stopped_at: str | None = None
    for rank, i in enumerate(order, start=1):
        p = projects[i]
        s = score[i]
        if p.is_withdrawn:
            details[p.id] = ProjectDetail(p.id, "withdrawn", "withdrawn", rank, s)
        elif s < threshold:
            details[p.id] = ProjectDetail(
                p.id, "below_threshold", f"score {s} below threshold {threshold}", rank, s
            )
        elif stopped_at is not None:
            details[p.id] = ProjectDetail(
                p.id, "not_reached", f"greedy-no-skip stopped at {stopped_at}", rank, s
            )
        elif conflicts.get(p.id, set()) & chosen:
            other = sorted(conflicts[p.id] & chosen)[0]
            details[p.id] = ProjectDetail(
                p.id, "excluded", f"excludes already funded {other}", rank, s, beaten_by=other
            )
        elif p.cost <= remaining:
            remaining -= p.cost
            selected.append(p.id)
            chosen.add(p.id)
            details[p.id] = ProjectDetail(
                p.id, "funded", f"rank {rank} by score, cost fits", rank, s
            )
        else:
            cost, left = instance.amount_text(p.cost), instance.amount_text(remaining)
            reason = f"cost {cost} exceeds remaining budget {left}"
            details[p.id] = ProjectDetail(p.id, "skipped", reason, rank, s)
            if not skip:
                stopped_at = p.id
    return Outcome(
        rule=rule,
        selected=tuple(selected),
        cost=instance.budget - remaining,
        budget=instance.budget,
        details=details,
        parameters={"threshold": threshold, "skip": skip},
    )
