"""The Method of Equal Shares (MES), exact, on grouped ballots.

Every voter gets the same budget ``b``. In each round, for every remaining project ``p``
find the smallest price ``rho`` (money per unit of utility) such that its supporters can pay
``sum_i min(budget_i, rho * u_i(p)) = cost(p)``; fund the project with the smallest ``rho``
(ties: see ``TieBreaking``), charge each supporter ``min(budget_i, rho * u_i(p))``, repeat until
no project is affordable.

Utilities: approval and choose-1 ballots use *cost* utilities (``u = cost``, what equalshares.net
and Pabulib's official MES counts use) or *approval* utilities (``u = 1``); cumulative/scoring
ballots use their points, ordinal ballots Pabulib's positional points (first of k gets k).
Withdrawn projects (cost 999999999) are left out; zero-cost projects with supporters are funded
first (as pabutools does).

Exactness with speed: voters with identical ballots form one weighted group, and groups whose
supported-and-funded history is the same hold the same budget, so budgets live in a small table
of *classes* (exact ``Fraction`` plus a float mirror). Prices are screened in float64 (numpy);
every decision is confirmed exactly: a project is declared unaffordable only on an exact money
check when the float margin is thin, projects whose float price is within ``TOL`` of the best are
priced exactly, and the winner's price is always computed exactly (it sets the payments). If the
winner's float price disagrees with its exact price by more than ``TOL / 100``, every candidate
within ``TOL`` is re-priced exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from .model import BallotType, Instance, Profile
from .outcome import ProjectDetail
from .rational import Q, to_fraction

TOL = 1e-9
ZERO = Q(0)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class Utility(StrEnum):
    COST = "cost"
    APPROVAL = "approval"


class TieBreaking(StrEnum):
    EQUALSHARES = "equalshares"
    """Lower cost, then more supporters, then project id (equalshares.net, Pabulib checker)."""
    LEXICOGRAPHIC = "lexicographic"
    """Smallest project id as a string (pabutools' default)."""


@dataclass(frozen=True, slots=True)
class _ProjectData:
    index: int
    cost: int
    groups: IntArray  # supporting group indices
    utils: IntArray  # utility of each supporting group
    mult: FloatArray  # multiplicity of each supporting group (float for bincount)
    uniform: int  # the utility when all supporters share it, else 0
    total_util: int  # sum of multiplicity * utility
    supporters: int  # number of voters supporting it


class Prepared:
    """Ballots grouped once, reused by every MES run (Add1 runs MES many times)."""

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
        flat_p = np.fromiter((p for k in keys for p, _ in k), dtype=np.int64)
        flat_u = np.fromiter((u for k in keys for _, u in k), dtype=np.int64)
        mult = np.array(counts, dtype=np.int64)
        lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        flat_g = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
        keep = flat_u > 0
        flat_p, flat_u, flat_g = flat_p[keep], flat_u[keep], flat_g[keep]
        order = np.argsort(flat_p, kind="stable")
        flat_p, flat_u, flat_g = flat_p[order], flat_u[order], flat_g[order]
        bounds = np.searchsorted(flat_p, np.arange(len(instance.projects) + 1))
        self.num_groups = len(keys)
        costs = np.array([p.cost for p in instance.projects], dtype=np.int64)
        self.projects: list[_ProjectData] = []
        self.free: list[int] = []
        for i, p in enumerate(instance.projects):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            if p.is_withdrawn or lo == hi:
                continue
            if p.cost == 0:
                self.free.append(i)
                continue
            gs = flat_g[lo:hi]
            us = (
                flat_u[lo:hi] * (costs[i] if utility is Utility.COST else 1)
                if approval_like
                else flat_u[lo:hi]
            )
            ms = mult[gs]
            uniform = int(us[0]) if bool((us == us[0]).all()) else 0
            self.projects.append(
                _ProjectData(
                    index=i,
                    cost=p.cost,
                    groups=gs,
                    utils=us,
                    mult=ms.astype(np.float64),
                    total_util=int((us * ms).sum()),
                    supporters=int(ms.sum()),
                    uniform=uniform,
                )
            )


@dataclass(frozen=True, slots=True)
class MesRun:
    selected: tuple[int, ...]  # project indices, in funding order
    prices: tuple[Fraction, ...]  # rho of each funded project
    details: dict[str, ProjectDetail]


class _Classes:
    """Budget classes: exact value and its correctly rounded float mirror."""

    def __init__(self, initial: Fraction) -> None:
        initial = Q(initial)
        self.exact: list[Fraction] = [initial, ZERO]
        self.floats: FloatArray = np.zeros(1024, dtype=np.float64)
        self.floats[0] = float(initial)
        self.zero = 1

    def extend(self, values: list[Fraction]) -> int:
        first = len(self.exact)
        self.exact.extend(values)
        need = first + len(values)
        if need > len(self.floats):
            grown = np.zeros(max(need, 2 * len(self.floats)), dtype=np.float64)
            grown[:first] = self.floats[:first]
            self.floats = grown
        self.floats[first:need] = [float(v) for v in values]
        return first


@dataclass(slots=True)
class _Buckets:
    """Supporters of one project aggregated by (budget class, utility)."""

    classes: IntArray
    utils: IntArray
    counts: IntArray
    inverse: IntArray | None  # group -> bucket for non-uniform projects


def _buckets(pd: _ProjectData, cls: IntArray) -> _Buckets:
    c = cls[pd.groups]
    if pd.uniform:
        cnt = np.bincount(c, weights=pd.mult)
        idx = np.flatnonzero(cnt)
        return _Buckets(
            idx,
            np.full(len(idx), pd.uniform, dtype=np.int64),
            cnt[idx].astype(np.int64),
            None,
        )
    umax = int(pd.utils.max()) + 1
    keys = c * umax + pd.utils
    uniq, inv = np.unique(keys, return_inverse=True)
    cnt = np.bincount(inv, weights=pd.mult).astype(np.int64)
    return _Buckets(uniq // umax, uniq % umax, cnt, inv.astype(np.int64))


def _float_price(pd: _ProjectData, bk: _Buckets, floats: FloatArray) -> tuple[float, float, int]:
    """(money behind the project, float rho or inf, bucket position where the scan stops)."""
    b = floats[bk.classes]
    cnt = bk.counts.astype(np.float64)
    u = bk.utils.astype(np.float64)
    money = float(b @ cnt)
    if money < pd.cost:
        return money, math.inf, -1
    order = np.argsort(b / u, kind="stable")
    b, cnt, u = b[order], cnt[order], u[order]
    paid = b * cnt
    poor = np.cumsum(paid) - paid
    wu = u * cnt
    rich = float(pd.total_util) - (np.cumsum(wu) - wu)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (pd.cost - poor) / rich
    ok = rho * u <= b
    if not ok.any():
        return money, math.inf, -1
    k = int(np.argmax(ok))
    return money, float(rho[k]), k


def _exact_money(bk: _Buckets, exact: list[Fraction]) -> Fraction:
    total = ZERO
    for c, m in zip(bk.classes.tolist(), bk.counts.tolist(), strict=True):
        if m:
            total += exact[c] * m
    return total


def _exact_price_sorted(pd: _ProjectData, bk: _Buckets, exact: list[Fraction]) -> Fraction | None:
    """Smallest rho with sum min(b, rho*u) * m = cost, exactly, by a full exact sort."""
    items = [
        (exact[c], u, m)
        for c, u, m in zip(bk.classes.tolist(), bk.utils.tolist(), bk.counts.tolist(), strict=True)
    ]
    items.sort(key=lambda t: t[0] / t[1])
    poor = ZERO
    rich = pd.total_util
    cost = pd.cost
    for b, u, m in items:
        rho = (cost - poor) / Q(rich)
        if rho * u <= b:
            return rho
        poor += b * m
        rich -= u * m
    return None


def _exact_price(
    pd: _ProjectData, bk: _Buckets, exact: list[Fraction], floats: FloatArray
) -> Fraction | None:
    """The exact price, cheaply: the float order tells which supporters are poor; only their
    exact money is summed, and the split is then verified exactly wherever the float margin is
    thin (b/u within TOL of rho). If verification fails, fall back to the full exact sort."""
    bf = floats[bk.classes]
    uf = bk.utils.astype(np.float64)
    keys = bf / uf
    order = np.argsort(keys, kind="stable")
    cnt = bk.counts[order]
    u_sorted = bk.utils[order]
    cls_sorted = bk.classes[order]
    paid = (bf * bk.counts)[order]
    poor_f = np.cumsum(paid) - paid
    wu = u_sorted * cnt
    rich_i = pd.total_util - (np.cumsum(wu) - wu)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho_f = (pd.cost - poor_f) / rich_i.astype(np.float64)
    ok = rho_f * u_sorted <= keys[order] * u_sorted
    if not ok.any():
        return _exact_price_sorted(pd, bk, exact)
    k = int(np.argmax(ok))
    poor = ZERO
    for c, m in zip(cls_sorted[:k].tolist(), cnt[:k].tolist(), strict=True):
        v = exact[c]
        if v:
            poor += v * m
    rho = (pd.cost - poor) / Q(int(rich_i[k]))
    r = float(rho)
    lo, hi = r * (1 - TOL), r * (1 + TOL)
    sk = keys[order]
    for j in np.flatnonzero(sk[:k] >= lo).tolist():  # poor near the boundary: b <= rho*u
        if exact[int(cls_sorted[j])] > rho * int(u_sorted[j]):
            return _exact_price_sorted(pd, bk, exact)
    for j in (np.flatnonzero(sk[k:] <= hi) + k).tolist():  # rich near the boundary: b >= rho*u
        if exact[int(cls_sorted[j])] < rho * int(u_sorted[j]):
            return _exact_price_sorted(pd, bk, exact)
    return rho


def _tie_key(
    prepared: Prepared, pd: _ProjectData, tie_breaking: TieBreaking
) -> tuple[int, int, str]:
    pid = prepared.instance.projects[pd.index].id
    if tie_breaking is TieBreaking.LEXICOGRAPHIC:
        return (0, 0, pid)
    return (pd.cost, -pd.supporters, pid)


def run_mes(
    prepared: Prepared,
    per_voter_budget: Fraction,
    *,
    tie_breaking: TieBreaking = TieBreaking.EQUALSHARES,
    explain: bool = False,
) -> MesRun:
    """One run of MES with a fixed per-voter budget; see the module docstring."""
    projects = prepared.instance.projects
    classes = _Classes(per_voter_budget)
    cls: IntArray = np.zeros(prepared.num_groups, dtype=np.int64)
    remaining: dict[int, _ProjectData] = {k: pd for k, pd in enumerate(prepared.projects)}
    lower: dict[int, float] = {k: pd.cost / pd.total_util for k, pd in remaining.items()}
    selected: list[int] = list(prepared.free)
    prices: list[Fraction] = [Fraction(0)] * len(selected)
    details: dict[str, ProjectDetail] = {}
    for i in prepared.free:
        details[projects[i].id] = ProjectDetail(projects[i].id, "funded", "costs nothing", 0)
    last_winner: str | None = None
    rnd = 0
    while remaining:
        rnd += 1
        best = math.inf
        evaluated: list[tuple[float, int, _Buckets]] = []
        for k in sorted(remaining, key=lambda k: lower[k]):
            if lower[k] > best * (1 + TOL):
                break
            pd = remaining[k]
            bk = _buckets(pd, cls)
            money, rho, _ = _float_price(pd, bk, classes.floats)
            if money < pd.cost * (1 + TOL) or rho == math.inf:
                # float money is a sum of correctly rounded budgets: relative error << TOL
                sure = money < pd.cost * (1 - TOL) and not explain
                exact_money = ZERO if sure else _exact_money(bk, classes.exact)
                if sure or exact_money < pd.cost:
                    del remaining[k]
                    pid = projects[pd.index].id
                    if explain:
                        details[pid] = _unaffordable(
                            pd, pid, to_fraction(exact_money), lower[k], last_winner, rnd
                        )
                    continue
                exact_rho = _exact_price(pd, bk, classes.exact, classes.floats)
                assert exact_rho is not None
                rho = float(exact_rho)
            lower[k] = rho
            evaluated.append((rho, k, bk))
            best = min(best, rho)
        if not evaluated:
            break
        near = [t for t in evaluated if t[0] <= best * (1 + TOL)]
        priced = [
            (_exact_price(remaining[k], bk, classes.exact, classes.floats), k, bk)
            for _, k, bk in near
        ]
        exact_best = min(r for r, _, _ in priced if r is not None)
        if abs(float(exact_best) - best) > best * TOL / 100:
            # float screening was not accurate enough here: price every plausible candidate exactly
            priced = [
                (_exact_price(remaining[k], bk, classes.exact, classes.floats), k, bk)
                for r, k, bk in evaluated
                if r <= float(exact_best) * (1 + TOL) * (1 + TOL)
            ]
            exact_best = min(r for r, _, _ in priced if r is not None)
        tied = [(k, bk) for r, k, bk in priced if r == exact_best]
        k, bk = min(tied, key=lambda t: _tie_key(prepared, remaining[t[0]], tie_breaking))
        pd = remaining.pop(k)
        pid = projects[pd.index].id
        selected.append(pd.index)
        prices.append(to_fraction(exact_best))
        if explain:
            behind = to_fraction(_exact_money(bk, classes.exact))
            price = to_fraction(exact_best)
            eff = Fraction(pd.cost) / (price * pd.uniform) if pd.uniform else None
            details[pid] = ProjectDetail(
                pid,
                "funded",
                f"round {rnd}: lowest price per unit of utility {float(exact_best):.6g}",
                rnd,
                pd.supporters,
                price=price,
                effective_votes=eff,
                supporters_money=behind,
                beaten_by=None,
            )
        _charge(pd, bk, cls, classes, exact_best)
        last_winner = pid
    return MesRun(tuple(selected), tuple(prices), details)


def _unaffordable(
    pd: _ProjectData, pid: str, money: Fraction, last_price: float, beaten_by: str | None, rnd: int
) -> ProjectDetail:
    price = Fraction(last_price).limit_denominator(10**12) if math.isfinite(last_price) else None
    eff = Fraction(pd.cost) / (price * pd.uniform) if price and pd.uniform else None
    reason = f"supporters' remaining money {float(money):.2f} < cost {pd.cost}" + (
        f" after {beaten_by} was funded" if beaten_by else ""
    )
    return ProjectDetail(
        pid,
        "unaffordable",
        reason,
        rnd,
        pd.supporters,
        price=price,
        effective_votes=eff,
        supporters_money=money,
        beaten_by=beaten_by,
    )


def _charge(
    pd: _ProjectData, bk: _Buckets, cls: IntArray, classes: _Classes, rho: Fraction
) -> None:
    """Each supporter pays min(budget, rho * u); move its group to the class of its new budget.

    Rich/poor is read from the float budgets where the margin is wide, exactly elsewhere."""
    pays: dict[int, Fraction] = {}
    bf = classes.floats[bk.classes]
    pay_f = float(rho) * bk.utils.astype(np.float64)
    new_ids = np.zeros(len(bk.classes), dtype=np.int64)
    new_ids[:] = classes.zero
    exact = classes.exact
    clear_rich = bf > pay_f * (1 + TOL)
    unclear = ~clear_rich & (bf >= pay_f * (1 - TOL))
    values: list[Fraction] = []
    targets: list[int] = []
    if pd.uniform:
        idx = np.flatnonzero(clear_rich | unclear)
        pay_u = rho * pd.uniform
        values = [exact[c] - pay_u for c in bk.classes[idx].tolist()]
        if unclear.any():
            keep = [i for i, v in enumerate(values) if v > 0]
            values = [values[i] for i in keep]
            idx = idx[np.array(keep, dtype=np.int64)]
        if values:
            first = classes.extend(values)
            new_ids[idx] = np.arange(first, first + len(values), dtype=np.int64)
        lookup = np.zeros(int(bk.classes.max()) + 1, dtype=np.int64)
        lookup[bk.classes] = new_ids
        cls[pd.groups] = lookup[cls[pd.groups]]
        return
    for j in np.flatnonzero(clear_rich | unclear).tolist():
        c = int(bk.classes[j])
        u = int(bk.utils[j])
        pay = pays.get(u)
        if pay is None:
            pay = pays[u] = rho * u
        b = exact[c]
        if b > pay:
            values.append(b - pay)
            targets.append(j)
    if values:
        first = classes.extend(values)
        new_ids[np.array(targets, dtype=np.int64)] = np.arange(
            first, first + len(values), dtype=np.int64
        )
    if bk.inverse is None:
        lookup = np.zeros(int(bk.classes.max()) + 1, dtype=np.int64)
        lookup[bk.classes] = new_ids
        cls[pd.groups] = lookup[cls[pd.groups]]
    else:
        cls[pd.groups] = new_ids[bk.inverse]
