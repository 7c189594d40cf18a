"""Ballots grouped once per election: weighted voter groups, indexed by project and by group.

Voters with identical ballots form one group of weight ``m``. MES needs two views of the same
sparse matrix (group x project -> utility): by project (who supports it, for prices) and by group
(what a group supports, to compute its exact budget). Both are built here once and shared by every
MES run of a completion (Add1 runs MES many times).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from .model import BallotType, Instance, Profile

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EXACT_FLOAT_INT = 2**53
"""Integers below this are exact in float64: weighted sums below it can use float bincounts."""


class Utility(StrEnum):
    COST = "cost"
    APPROVAL = "approval"


@dataclass(frozen=True, slots=True)
class ProjectSupport:
    """Supporters of one eligible project (positive cost, not withdrawn, somebody supports it)."""

    index: int  # index in Instance.projects
    cost: int
    groups: IntArray  # supporting group indices
    utils: IntArray  # utility of each supporting group
    utils_f: FloatArray
    mult: FloatArray  # weight (number of voters) of each supporting group
    weighted_util: IntArray  # mult * utils, exact
    weighted_util_f: FloatArray
    uniform: int  # the utility when all supporters share it, else 0
    total_util: int  # sum of mult * utils
    supporters: int  # number of voters supporting it


class Prepared:
    """Ballots grouped once, reused by every MES run."""

    def __init__(self, instance: Instance, profile: Profile, utility: Utility) -> None:
        self.instance = instance
        self.num_voters = profile.num_voters
        self.utility = utility
        approval_like = profile.points is None and profile.ballot_type is not BallotType.ORDINAL
        keys: list[tuple[tuple[int, int], ...]]
        if approval_like:
            raw = Counter(tuple(sorted(b)) for b in profile.ballots)
            keys = [tuple((p, 1) for p in k) for k in raw]
            counts = list(raw.values())
        else:
            pairs = Counter(tuple(sorted(profile.utilities(v))) for v in range(profile.num_voters))
            keys = list(pairs)
            counts = list(pairs.values())
        num_projects = len(instance.projects)
        flat_p = np.fromiter((p for k in keys for p, _ in k), dtype=np.int64)
        flat_u = np.fromiter((u for k in keys for _, u in k), dtype=np.int64)
        mult = np.array(counts, dtype=np.int64)
        lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        flat_g = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
        keep = flat_u > 0
        flat_p, flat_u, flat_g = flat_p[keep], flat_u[keep], flat_g[keep]
        costs = np.array([p.cost for p in instance.projects], dtype=np.int64)
        if approval_like:
            flat_u = flat_u * costs[flat_p] if utility is Utility.COST else flat_u
        order = np.argsort(flat_p, kind="stable")
        bounds = np.searchsorted(flat_p[order], np.arange(num_projects + 1))
        self.num_groups = len(keys)
        self.group_mult: IntArray = mult
        self.projects: list[ProjectSupport] = []
        self.free: list[int] = []
        position = np.full(num_projects, -1, dtype=np.int64)
        for i, p in enumerate(instance.projects):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            if p.is_withdrawn or lo == hi:
                continue
            if p.cost == 0:
                self.free.append(i)
                continue
            gs = flat_g[order[lo:hi]]
            us = flat_u[order[lo:hi]]
            ms = mult[gs]
            uniform = int(us[0]) if bool((us == us[0]).all()) else 0
            position[i] = len(self.projects)
            self.projects.append(
                ProjectSupport(
                    index=i,
                    cost=p.cost,
                    groups=gs,
                    utils=us,
                    utils_f=us.astype(np.float64),
                    mult=ms.astype(np.float64),
                    weighted_util=us * ms,
                    weighted_util_f=(us * ms).astype(np.float64),
                    uniform=uniform,
                    total_util=int((us * ms).sum()),
                    supporters=int(ms.sum()),
                )
            )
        # By group: entries of eligible projects only, in group order (flat_g is sorted).
        pos = position[flat_p]
        eligible = pos >= 0
        self.entry_project: IntArray = pos[eligible]  # position in self.projects
        self.entry_util: IntArray = flat_u[eligible]
        entry_group = flat_g[eligible]
        self.group_start: IntArray = np.searchsorted(
            entry_group, np.arange(self.num_groups + 1)
        ).astype(np.int64)
        uniform_of = np.array([pd.uniform for pd in self.projects] + [0], dtype=np.int64)
        # What one entry adds to the per-project sum W_q of exact money: the voters (uniform
        # projects, whose per-voter payment is known) or voters x utility (others).
        weight = mult[entry_group] * np.where(
            uniform_of[self.entry_project] > 0, 1, self.entry_util
        )
        self.entry_weight: FloatArray = weight.astype(np.float64)
        self.float_sums_exact = int(weight.sum()) < EXACT_FLOAT_INT
        self.entry_weight_int: IntArray = weight
        self._lists: tuple[list[int], list[int], list[int]] | None = None

    def group_lists(self) -> tuple[list[int], list[int], list[int]]:
        """(group_start, entry_project, entry_util) as Python lists, for per-group exact sums."""
        if self._lists is None:
            self._lists = (
                self.group_start.tolist(),
                self.entry_project.tolist(),
                self.entry_util.tolist(),
            )
        return self._lists
