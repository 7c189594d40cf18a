"""Voters' budgets during one MES run: float64 for speed, every decision certified exactly.

Exact state is tiny. A group that was ever *poor* (paid all it had) has budget exactly 0 (flag
``zero``); any other group was rich for every funded project it supports, so its exact budget is
``b - sum(pay_q * u_gq)`` over those projects, where ``pay_q`` is the exact price of ``q`` per unit
of utility (or per voter, for projects whose supporters all have the same utility). The exact
money of any set of groups is therefore ``b * voters - sum_q pay_q * W_q`` with integer ``W_q``
(voters of the set supporting ``q``): a few rational operations per funded project, however many
groups there are.

The float budgets carry one global absolute error bound ``err`` (rounding of ``b`` plus at most
``5 eps b`` per charge). Every float comparison that could decide something (affordability,
rich/poor, which project is cheaper) is taken only when it clears that bound plus the summation
error; otherwise the exact value decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .grouping import BoolArray, FloatArray, IntArray, Prepared, ProjectSupport
from .rational import Q

EPS = 2.0**-53
"""Unit roundoff of float64."""
SLACK = 1.01
LOWER_MARGIN = 1e-8
"""A float price ``r`` is certified as a lower bound ``r * (1 - LOWER_MARGIN)`` when possible."""
NEWTON_STEPS = 30


@dataclass(slots=True)
class Evaluation:
    """A project's float price in the current round, with the arrays it was computed from."""

    rho: float
    budgets: FloatArray  # float budgets of its supporting groups
    keys: FloatArray  # budget / utility of each supporting group
    lower: float  # certified lower bound of its exact price (never above the true price)


@dataclass(slots=True)
class ExactPrice:
    rho: Fraction  # exact price per unit of utility
    rich: BoolArray  # supporters who keep money after paying rho * u (strictly)


class Budgets:
    """The state of one MES run with per-voter budget ``b``."""

    def __init__(self, prepared: Prepared, per_voter_budget: Fraction) -> None:
        self.prepared = prepared
        self.b = Q(per_voter_budget)
        bf = float(self.b)
        self.floats: FloatArray = np.full(prepared.num_groups, bf, dtype=np.float64)
        self.zero: BoolArray = np.zeros(prepared.num_groups, dtype=np.bool_)
        self.bmax = abs(bf) * (1 + 4 * EPS)
        self.err = 2 * EPS * abs(bf)  # float(mpq) may be off by one ulp
        self.pay: list[Fraction | None] = [None] * len(prepared.projects)
        self.funded: BoolArray = np.zeros(len(prepared.projects) + 1, dtype=np.bool_)
        # the last slot stands for padding in Prepared.padded_project and is never funded

    # ----------------------------------------------------------------- error bounds
    def _sum_err(self, pd: ProjectSupport, value: float, extra: float = 0.0) -> float:
        """Bound on |float sum over supporters - exact sum| for sums of min(budget, x)."""
        e = pd.supporters * self.err
        n = len(pd.groups) + 2
        return SLACK * (e + extra + n * EPS * (abs(value) + e)) + 1e-300

    # ----------------------------------------------------------------- exact values
    def exact_money(self, groups: IntArray) -> Fraction:
        """Exact total budget of the given non-zero groups (weighted by their voters)."""
        prep = self.prepared
        if len(groups) == 0:
            return Q(0)
        voters = int(prep.group_mult[groups].sum())
        spent = Q(0)
        if prep.padded_project is None:
            starts = prep.group_start[groups]
            lens = prep.group_start[groups + 1] - starts
            total_len = int(lens.sum())
        if prep.padded_project is not None:
            proj = prep.padded_project[groups].ravel()
            wts = prep.padded_weight[groups].ravel()
            sel = self.funded[proj]
            proj, wts = proj[sel], wts[sel]
        elif total_len:
            offs = np.cumsum(lens) - lens
            entries = np.repeat(starts - offs, lens) + np.arange(total_len, dtype=np.int64)
            proj = prep.entry_project[entries]
            sel = self.funded[proj]
            proj, wts = proj[sel], prep.entry_weight[entries[sel]]
        else:
            return self.b * voters
        if len(proj):
            if prep.float_sums_exact:
                sums = np.bincount(proj, weights=wts, minlength=len(self.pay))
                pairs = [(q, int(sums[q])) for q in np.flatnonzero(sums).tolist()]
            else:  # pragma: no cover - needs more than 2**53 voter-utility units
                acc: dict[int, int] = {}
                for q, w in zip(proj.tolist(), wts.tolist(), strict=True):
                    acc[q] = acc.get(q, 0) + int(w)
                pairs = list(acc.items())
            for q, w in pairs:
                pay = self.pay[q]
                assert pay is not None
                spent += pay * w
        return self.b * voters - spent

    def exact_budget(self, group: int) -> Fraction:
        """Exact budget of one non-zero group."""
        start, proj, util = self.prepared.group_lists()
        value = self.b
        projects = self.prepared.projects
        for e in range(start[group], start[group + 1]):
            q = proj[e]
            pay = self.pay[q]
            if pay is not None:
                value -= pay if projects[q].uniform else pay * util[e]
        return value

    def money_behind(self, pd: ProjectSupport) -> Fraction:
        return self.exact_money(pd.groups[~self.zero[pd.groups]])

    # ----------------------------------------------------------------- float screening
    def affordable(self, pd: ProjectSupport) -> tuple[bool, FloatArray, FloatArray, float]:
        """Whether the supporters' money reaches the cost (certified), with their float budgets,
        budgets x voters and total float money."""
        budgets = self.floats[pd.groups]
        paid = budgets * pd.mult
        money = float(paid.sum())
        err = self._sum_err(pd, money)
        if money + err < pd.cost:
            return False, budgets, paid, money
        if money - err >= pd.cost:
            return True, budgets, paid, money
        return self.money_behind(pd) >= pd.cost, budgets, paid, money

    def f_below_cost(self, pd: ProjectSupport, budgets: FloatArray, r: float) -> bool:
        """Certified ``sum m * min(budget, r * u) < cost``, i.e. the exact price exceeds ``r``."""
        if pd.uniform:
            value = float(np.minimum(budgets, r * pd.uniform) @ pd.mult)
        else:
            value = float(np.minimum(budgets, r * pd.utils_f) @ pd.mult)
        err = self._sum_err(pd, value, EPS * r * pd.total_util)
        return value + err < pd.cost

    def evaluate(self, pd: ProjectSupport, lower: float) -> Evaluation | None:
        """Float price of an affordable project (``None``: certified unaffordable)."""
        ok, budgets, paid, money = self.affordable(pd)
        if not ok:
            return None
        keys = budgets / float(pd.uniform) if pd.uniform else budgets / pd.utils_f
        rho = _newton(pd, keys, paid, money, lower)
        if not math.isfinite(rho):
            rho = _sorted_price(pd, budgets, keys)
        candidate = rho * (1 - LOWER_MARGIN)
        if candidate > lower and self.f_below_cost(pd, budgets, candidate):
            lower = candidate
        return Evaluation(rho, budgets, keys, lower)

    # ----------------------------------------------------------------- exact price
    def exact_price(self, pd: ProjectSupport, ev: Evaluation) -> ExactPrice:
        """The exact price of an affordable project: the float split into poor and rich,
        priced exactly, and the split verified exactly wherever the float margin is thin."""
        rich = ev.keys > ev.rho
        zero = self.zero[pd.groups]
        rich_util = int(pd.weighted_util[rich].sum())
        if rich_util == 0:
            return self._exact_price_sorted(pd)
        poor_money = self.exact_money(pd.groups[~rich & ~zero])
        rho = (pd.cost - poor_money) / Q(rich_util)
        if rho <= 0:
            return self._exact_price_sorted(pd)
        r = float(rho)
        thr: float | FloatArray = r * pd.uniform if pd.uniform else r * pd.utils_f
        lo = thr * (1 - 8 * EPS) - self.err
        hi = thr * (1 + 8 * EPS) + self.err
        budgets = ev.budgets
        unsure_poor = np.flatnonzero(~rich & ~zero & (budgets >= lo))
        unsure_rich = np.flatnonzero(rich & (budgets <= hi))
        strict_rich = rich.copy()
        if len(unsure_poor) or len(unsure_rich):
            for j in unsure_poor.tolist():
                if self.exact_budget(int(pd.groups[j])) > rho * int(pd.utils[j]):
                    return self._exact_price_sorted(pd)
            for j in unsure_rich.tolist():
                exact = self.exact_budget(int(pd.groups[j]))
                share = rho * int(pd.utils[j])
                if exact < share:
                    return self._exact_price_sorted(pd)
                if exact == share:
                    strict_rich[j] = False
        return ExactPrice(rho, strict_rich)

    def _exact_price_sorted(self, pd: ProjectSupport) -> ExactPrice:
        """Fallback: every supporter's exact budget, sorted exactly."""
        zero = self.zero[pd.groups]
        items: list[tuple[Fraction, int, int, int]] = []
        for j, (g, u, m) in enumerate(
            zip(pd.groups.tolist(), pd.utils.tolist(), pd.mult.tolist(), strict=True)
        ):
            b = Q(0) if zero[j] else self.exact_budget(g)
            items.append((b, u, int(m), j))
        items.sort(key=lambda t: t[0] / t[1])
        poor = Q(0)
        rich = pd.total_util
        rho: Fraction | None = None
        for b, u, m, _ in items:
            candidate = (pd.cost - poor) / Q(rich)
            if candidate * u <= b:
                rho = candidate
                break
            poor += b * m
            rich -= u * m
        assert rho is not None, "exact_price called on an unaffordable project"
        strict_rich = np.zeros(len(pd.groups), dtype=np.bool_)
        for b, u, _, j in items:
            strict_rich[j] = b > rho * u
        return ExactPrice(rho, strict_rich)

    # ----------------------------------------------------------------- charging
    def charge(self, k: int, pd: ProjectSupport, price: ExactPrice) -> None:
        """Rich supporters pay rho * u (float, within the error bound); the others pay all they
        have and become exact zeros."""
        r = float(price.rho)
        gs = pd.groups
        rich = price.rich
        payers = gs[rich]
        if pd.uniform:
            self.floats[payers] -= r * pd.uniform
        else:
            self.floats[payers] -= r * pd.utils_f[rich]
        emptied = gs[~rich]
        self.floats[emptied] = 0.0
        self.zero[emptied] = True
        self.pay[k] = price.rho * pd.uniform if pd.uniform else price.rho
        self.funded[k] = True
        self.err += 5 * EPS * self.bmax


def _newton(
    pd: ProjectSupport, keys: FloatArray, paid: FloatArray, money: float, start: float
) -> float:
    """Solve sum m * min(b, r u) = cost from below (tangent steps of a concave function)."""
    both = np.vstack((pd.weighted_util_f, paid))
    r = max(start, 0.0)
    for _ in range(NEWTON_STEPS):
        sums = both @ (keys > r)
        rich_util = float(sums[0])
        if rich_util <= 0:
            return math.inf
        nxt = (pd.cost - (money - float(sums[1]))) / rich_util
        if nxt <= r:
            return r if r > 0 else nxt
        r = nxt
    return math.inf


def _sorted_price(pd: ProjectSupport, budgets: FloatArray, keys: FloatArray) -> float:
    order = np.argsort(keys, kind="stable")
    b = budgets[order]
    cnt = pd.mult[order]
    u = pd.utils_f[order]
    paid = b * cnt
    poor = np.cumsum(paid) - paid
    wu = u * cnt
    rich = float(pd.total_util) - (np.cumsum(wu) - wu)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (pd.cost - poor) / rich
    ok = rho * u <= b
    if not ok.any():
        return float(keys.max())
    return float(rho[int(np.argmax(ok))])
