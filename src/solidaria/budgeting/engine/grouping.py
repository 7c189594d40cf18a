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
from itertools import chain
from typing import Any

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
        num_projects = len(instance.projects)
        grouped = None
        if approval_like and profile.ballots:
            grouped = _group_approval(profile.ballots)
        elif profile.ballots:
            grouped = _group_points(profile)
        if grouped is not None:
            flat_p, flat_u, flat_g, mult = grouped
        else:
            pairs = Counter(tuple(sorted(profile.utilities(v))) for v in range(profile.num_voters))
            keys = list(pairs)
            flat_p = np.fromiter((p for k in keys for p, _ in k), dtype=np.int64)
            flat_u = np.fromiter((u for k in keys for _, u in k), dtype=np.int64)
            mult = np.array(list(pairs.values()), dtype=np.int64)
            lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
            flat_g = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
        keep = flat_u > 0
        flat_p, flat_u, flat_g = flat_p[keep], flat_u[keep], flat_g[keep]
        costs = np.array([p.cost for p in instance.projects], dtype=np.int64)
        if approval_like:
            flat_u = flat_u * costs[flat_p] if utility is Utility.COST else flat_u
        order = np.argsort(flat_p, kind="stable")
        bounds = np.searchsorted(flat_p[order], np.arange(num_projects + 1))
        self.num_groups = len(mult)
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
        # The same entries as a (groups x longest ballot) table, padded with the never-funded
        # position len(projects), when that table is small: cheaper to gather than ranges.
        lens = np.diff(self.group_start)
        width = int(lens.max()) if len(lens) else 0
        self.padded_project: npt.NDArray[np.integer[Any]] | None = None
        self.padded_weight: FloatArray = np.zeros((0, 0), dtype=np.float64)
        if 0 < width <= 8 or self.num_groups * width <= 2 * len(self.entry_project):
            column = np.arange(len(entry_group), dtype=np.int64) - self.group_start[entry_group]
            small = np.int16 if len(self.projects) < 2**15 else np.int64  # less to gather
            table = np.full((self.num_groups, max(width, 1)), len(self.projects), dtype=small)
            table[entry_group, column] = self.entry_project
            weights = np.zeros((self.num_groups, max(width, 1)), dtype=np.float64)
            weights[entry_group, column] = self.entry_weight
            self.padded_project, self.padded_weight = table, weights
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


def _group_approval(
    ballots: tuple[tuple[int, ...], ...],
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Identical approval ballots as weighted groups: (project, utility 1, group) per entry in
    group order, and each group's weight. Sets of projects, so the order inside a ballot and
    repeats do not matter."""
    lengths = np.fromiter(map(len, ballots), dtype=np.int64, count=len(ballots))
    total = int(lengths.sum())
    width = int(lengths.max())
    if width == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.array([len(ballots)], dtype=np.int64)
    flat = np.fromiter(chain.from_iterable(ballots), dtype=np.int64, count=total)
    rows = np.repeat(np.arange(len(ballots), dtype=np.int64), lengths)
    cols = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    table = np.full((len(ballots), width), -1, dtype=np.int64)
    table[rows, cols] = flat
    table.sort(axis=1)
    if width > 1:  # a project named twice in one ballot counts once
        dup = np.zeros_like(table, dtype=np.bool_)
        dup[:, 1:] = table[:, 1:] == table[:, :-1]
        table[dup] = -1
        table.sort(axis=1)
    base = int(table.max()) + 2
    if base**width < 2**62:  # one integer per ballot: much faster to sort than rows
        code = np.zeros(len(ballots), dtype=np.int64)
        for j in range(width):
            code = code * base + (table[:, j] + 1)
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        uniq = table[first]
    else:
        uniq, counts = np.unique(table, axis=0, return_counts=True)
    present = uniq >= 0
    flat_g = np.nonzero(present)[0].astype(np.int64)
    flat_p = uniq[present].astype(np.int64)
    return flat_p, np.ones(len(flat_p), dtype=np.int64), flat_g, counts.astype(np.int64)


def _group_points(profile: Profile) -> tuple[IntArray, IntArray, IntArray, IntArray] | None:
    """Identical (project, points) ballots as weighted groups, like ``_group_approval``
    (``None`` when the points do not fit the fast encoding: the caller counts tuples)."""
    ballots = profile.ballots
    lengths = np.fromiter(map(len, ballots), dtype=np.int64, count=len(ballots))
    total = int(lengths.sum())
    width = int(lengths.max())
    if width == 0:
        return None
    flat = np.fromiter(chain.from_iterable(ballots), dtype=np.int64, count=total)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    cols = np.arange(total, dtype=np.int64) - starts
    if profile.points is not None:
        pts = np.fromiter(chain.from_iterable(profile.points), dtype=np.int64, count=total)
    else:  # ordinal: the first of k ranked projects gets k points, the last 1
        pts = np.repeat(lengths, lengths) - cols
    if pts.min() < 0:
        return None
    span = int(pts.max()) + 1
    sym = flat * span + pts
    base = int(sym.max()) + 2
    if base**width >= 2**62:
        return None
    table = np.full((len(ballots), width), -1, dtype=np.int64)
    table[np.repeat(np.arange(len(ballots), dtype=np.int64), lengths), cols] = sym
    table.sort(axis=1)
    code = np.zeros(len(ballots), dtype=np.int64)
    for j in range(width):
        code = code * base + (table[:, j] + 1)
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    uniq = table[first]
    present = uniq >= 0
    flat_g = np.nonzero(present)[0].astype(np.int64)
    cells = uniq[present]
    return cells // span, cells % span, flat_g, counts.astype(np.int64)
