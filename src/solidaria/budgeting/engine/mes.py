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

Exactness with speed (see ``budgets.py``): budgets are float64 with a certified error bound and
an exact representation that costs a few rational operations per funded project. Each round:

1. projects are screened in the order of a *certified lower bound* of their price (prices only
   grow from round to round); float prices are computed until the next lower bound exceeds the
   best float price;
2. the best candidate is priced exactly (exact money of its poor supporters, split verified);
3. every other project is shown strictly more expensive on a certified float test
   (``sum m * min(b, r u) < cost`` at ``r`` just above the exact winning price), or priced exactly
   and compared exactly (ties broken by ``TieBreaking``);
4. the winner charges its supporters; projects whose supporters' money is below the cost (decided
   exactly when the float margin is thin) drop out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from .budgets import EPS, Budgets, Evaluation, ExactPrice
from .grouping import Prepared, ProjectSupport, Utility
from .outcome import ProjectDetail
from .rational import to_fraction

__all__ = ["MesRun", "Prepared", "TieBreaking", "Utility", "run_mes"]


class TieBreaking(StrEnum):
    EQUALSHARES = "equalshares"
    """Lower cost, then more supporters, then project id (equalshares.net, Pabulib checker)."""
    LEXICOGRAPHIC = "lexicographic"
    """Smallest project id as a string (pabutools' default)."""


@dataclass(frozen=True, slots=True)
class MesRun:
    selected: tuple[int, ...]  # project indices, in funding order
    prices: tuple[Fraction, ...]  # rho of each funded project
    details: dict[str, ProjectDetail]


def _tie_key(
    prepared: Prepared, pd: ProjectSupport, tie_breaking: TieBreaking
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
    support = prepared.projects
    state = Budgets(prepared, per_voter_budget)
    ties = [_tie_key(prepared, pd, tie_breaking) for pd in support]
    # certified lower bounds of the prices: rho >= cost / total utility
    lower = [pd.cost / pd.total_util * (1 - 5 * EPS) for pd in support]
    hint = list(lower)  # last float price, for the explanations of losers
    remaining = set(range(len(support)))
    selected: list[int] = list(prepared.free)
    prices: list[Fraction] = [Fraction(0)] * len(selected)
    details: dict[str, ProjectDetail] = {}
    for i in prepared.free:
        details[projects[i].id] = ProjectDetail(projects[i].id, "funded", "costs nothing", 0)
    last_winner: str | None = None
    rnd = 0

    def drop(k: int, in_round: int) -> None:
        remaining.discard(k)
        if explain:
            pd = support[k]
            pid = projects[pd.index].id
            money = to_fraction(state.money_behind(pd))
            details[pid] = _unaffordable(pd, pid, money, hint[k], last_winner, in_round)

    while remaining:
        rnd += 1
        evals: dict[int, Evaluation] = {}
        best = math.inf
        for k in sorted(remaining, key=lower.__getitem__):
            if lower[k] > best:
                break
            ev = state.evaluate(support[k], lower[k])
            if ev is None:
                drop(k, rnd)
                continue
            lower[k], hint[k] = ev.lower, ev.rho
            evals[k] = ev
            best = min(best, ev.rho)
        if not evals:
            break
        w = min(evals, key=lambda k: (evals[k].rho, ties[k]))
        price = state.exact_price(support[w], evals[w])
        r_hi = float(price.rho) * (1 + 8 * EPS)
        for k in sorted(remaining):
            if k == w or lower[k] > r_hi:
                continue
            ev_k = evals.get(k)
            if ev_k is None:
                ev_k = state.evaluate(support[k], lower[k])
                if ev_k is None:
                    drop(k, rnd)
                    continue
                lower[k], hint[k] = ev_k.lower, ev_k.rho
                evals[k] = ev_k
            if state.f_below_cost(support[k], ev_k.budgets, r_hi):
                lower[k] = max(lower[k], r_hi)
                continue
            price_k = state.exact_price(support[k], ev_k)
            lower[k] = max(lower[k], float(price_k.rho) * (1 - 8 * EPS))
            if (price_k.rho, ties[k]) < (price.rho, ties[w]):
                w, price = k, price_k
                r_hi = float(price.rho) * (1 + 8 * EPS)
        pd = support[w]
        remaining.discard(w)
        pid = projects[pd.index].id
        selected.append(pd.index)
        prices.append(to_fraction(price.rho))
        if explain:
            details[pid] = _funded(pd, pid, price, to_fraction(state.money_behind(pd)), rnd)
        state.charge(w, pd, price)
        last_winner = pid
        if explain:  # name the round in which each loser became unaffordable
            for k in sorted(remaining):
                if not state.affordable(support[k])[0]:
                    drop(k, rnd + 1)  # out from the next round on
    return MesRun(tuple(selected), tuple(prices), details)


def _funded(
    pd: ProjectSupport, pid: str, price: ExactPrice, behind: Fraction, rnd: int
) -> ProjectDetail:
    rho = to_fraction(price.rho)
    eff = Fraction(pd.cost) / (rho * pd.uniform) if pd.uniform else None
    return ProjectDetail(
        pid,
        "funded",
        f"round {rnd}: lowest price per unit of utility {float(rho):.6g}",
        rnd,
        pd.supporters,
        price=rho,
        effective_votes=eff,
        supporters_money=behind,
        beaten_by=None,
    )


def _unaffordable(
    pd: ProjectSupport,
    pid: str,
    money: Fraction,
    last_price: float,
    beaten_by: str | None,
    rnd: int,
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
