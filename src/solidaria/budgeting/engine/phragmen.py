"""Sequential Phragmén, exact, on grouped ballots (pabutools 1.2.3 semantics).

Voters earn virtual money continuously; a project is bought as soon as its supporters together
hold its cost, which spreads the load: every supporter's load becomes
``(cost + sum of supporters' loads) / supporters``. The project with the smallest new maximal load
is bought next (ties: smallest id); the rule stops as soon as that project would overspend the
budget. Projects costing more than the budget, withdrawn projects and projects nobody supports are
left out. Support means approval, or any positive points for cumulative/ordinal ballots.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np

from .model import Instance, Profile
from .outcome import Outcome, ProjectDetail
from .rational import Q, to_fraction


def sequential_phragmen(instance: Instance, profile: Profile) -> Outcome:
    groups = Counter(tuple(sorted(set(b))) for b in profile.ballots)
    keys = list(groups)
    mult = np.array([groups[k] for k in keys], dtype=np.float64)
    members: dict[int, list[int]] = {}
    for g, key in enumerate(keys):
        for p in key:
            members.setdefault(p, []).append(g)
    projects = instance.projects
    remaining = {
        i: np.array(gs, dtype=np.int64)
        for i, gs in members.items()
        if not projects[i].is_withdrawn and projects[i].cost <= instance.budget
    }
    support = {i: int(mult[gs].sum()) for i, gs in remaining.items()}
    loads = [Q(0)]
    load_class = np.zeros(len(keys), dtype=np.int64)
    spent = 0
    selected: list[str] = []
    details: dict[str, ProjectDetail] = {}
    rnd = 0
    while remaining:
        rnd += 1
        best: Fraction | None = None
        tied: list[int] = []
        for i, gs in remaining.items():
            cnt = np.bincount(load_class[gs], weights=mult[gs])
            total = sum((loads[c] * int(cnt[c]) for c in np.flatnonzero(cnt).tolist()), start=Q(0))
            new_load = (total + projects[i].cost) / Q(support[i])
            if best is None or new_load < best:
                best, tied = new_load, [i]
            elif new_load == best:
                tied.append(i)
        assert best is not None
        if any(spent + projects[i].cost > instance.budget for i in tied):
            for i in tied:
                if spent + projects[i].cost > instance.budget:
                    details[projects[i].id] = ProjectDetail(
                        projects[i].id,
                        "skipped",
                        f"next by load but cost {instance.amount_text(projects[i].cost)} "
                        f"exceeds remaining {instance.amount_text(instance.budget - spent)}: "
                        "the rule stops",
                        rnd,
                        support[i],
                        load=to_fraction(best),
                    )
            break
        winner = min(tied, key=lambda i: projects[i].id)
        gs = remaining.pop(winner)
        loads.append(best)
        load_class[gs] = len(loads) - 1
        spent += projects[winner].cost
        selected.append(projects[winner].id)
        details[projects[winner].id] = ProjectDetail(
            projects[winner].id,
            "funded",
            f"round {rnd}: smallest new maximal load {float(best):.6g}",
            rnd,
            support[winner],
            load=to_fraction(best),
        )
    for i, project in enumerate(projects):
        if project.id in details:
            continue
        if project.is_withdrawn:
            details[project.id] = ProjectDetail(project.id, "withdrawn", "withdrawn")
        elif i not in members:
            details[project.id] = ProjectDetail(project.id, "no_support", "no supporters")
        elif project.cost > instance.budget:
            details[project.id] = ProjectDetail(
                project.id, "over_budget", "costs more than the whole budget"
            )
        else:
            details[project.id] = ProjectDetail(
                project.id, "not_reached", "not bought before the rule stopped", score=support[i]
            )
    return Outcome("phragmen", tuple(selected), spent, instance.budget, details, {})
