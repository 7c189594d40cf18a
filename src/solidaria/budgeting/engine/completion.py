"""MES with its completions, and the comparison step against greedy.

- ``none``: one MES run with per-voter budget ``budget / voters``.
- ``add1`` (Pabulib ``equalshares/add1``, as Pabulib's checker computes it; this reproduces the
  official results of Wieliczka 2023, Swiecie 2023 and Assen 2024): MES at ``budget / voters``;
  then per-voter budgets ``floor(budget / voters) + 1, + 2, ...``; each outcome that does not
  overspend the real budget replaces the previous one; stop at the first that overspends.
  Ties: lower cost, then more supporters.
- ``add1-exhaustive`` (equalshares.net's compute tool with its default options): start at
  ``floor(budget / voters)``; stop as soon as the outcome is exhaustive (no unfunded project
  fits the rest of the budget) or the next one overspends. On Wieliczka 2023 this stops earlier
  than the official count did, so it is not the default.
- ``add1-pabutools``: pabutools 1.2.3's ``voter_budget_increment=1``: start at ``budget / voters``
  (not floored); stop at the first outcome that overspends (returning the previous one) or is
  exhaustive. Ties: lexicographic by id, as pabutools.
- comparison (``equalshares/add1-comparison``): compute greedy by number of supporters; if more
  voters approve strictly more projects of the greedy outcome than of the MES outcome than the
  reverse, greedy wins (Pabulib's checker, mode ``satisfaction``; ``exclusion`` mode counts voters
  who approve at least one winner).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from .mes import MesRun, Prepared, TieBreaking, Utility, run_mes
from .model import Instance, Profile
from .outcome import Outcome, ProjectDetail


class Completion(StrEnum):
    NONE = "none"
    ADD1 = "add1"
    ADD1_EXHAUSTIVE = "add1-exhaustive"
    ADD1_PABUTOOLS = "add1-pabutools"


class Comparison(StrEnum):
    NONE = "none"
    SATISFACTION = "satisfaction"
    EXCLUSION = "exclusion"


@dataclass(frozen=True, slots=True)
class Add1Trace:
    per_voter_budget: Fraction
    runs: int


def _cost(instance: Instance, run: MesRun) -> int:
    return sum(instance.projects[i].cost for i in run.selected)


def _exhaustive(instance: Instance, chosen: Sequence[int], candidates: Sequence[int]) -> bool:
    spent = sum(instance.projects[i].cost for i in chosen)
    taken = set(chosen)
    return all(
        i in taken or spent + instance.projects[i].cost > instance.budget for i in candidates
    )


def add1(
    prepared: Prepared,
    *,
    increment: int = 1,
    tie_breaking: TieBreaking = TieBreaking.EQUALSHARES,
    unit: int = 1,
    explain: bool = True,
) -> tuple[MesRun, Add1Trace]:
    """Pabulib's ``equalshares/add1``: MES at ``budget / voters``, then per-voter budgets
    ``floor(budget / voters) + k * increment`` for k = 1, 2, ... as long as the outcome does not
    overspend the real budget; the last outcome that did not overspend wins. ``unit`` is one
    currency unit in the instance's amounts (100 for a file with cents): the floor is taken
    in currency units."""
    instance = prepared.instance
    n = prepared.num_voters
    eligible = [pd.index for pd in prepared.projects]
    if sum(instance.projects[i].cost for i in eligible) <= instance.budget:
        # every budget keeps the outcome feasible, so Add1 ends when all eligible are funded
        b = Fraction(instance.budget)
        return run_mes(prepared, b, tie_breaking=tie_breaking, explain=explain), Add1Trace(b, 1)
    chosen_b = Fraction(instance.budget, n)
    b = Fraction(instance.budget // (n * unit) * unit)
    runs = 1
    while True:
        nxt = run_mes(prepared, b + increment, tie_breaking=tie_breaking)
        runs += 1
        if _cost(instance, nxt) > instance.budget:
            break
        b += increment
        chosen_b = b
    final = run_mes(prepared, chosen_b, tie_breaking=tie_breaking, explain=explain)
    return final, Add1Trace(chosen_b, runs)


def add1_exhaustive(
    prepared: Prepared,
    *,
    increment: int = 1,
    tie_breaking: TieBreaking = TieBreaking.EQUALSHARES,
    unit: int = 1,
    explain: bool = True,
) -> tuple[MesRun, Add1Trace]:
    """equalshares.net's tool with its default options ``integral`` and ``exhaustive``: start at
    ``floor(budget / voters)`` and stop as soon as the outcome is exhaustive."""
    instance = prepared.instance
    n = prepared.num_voters
    # Exhaustiveness over projects somebody supports (the tool checks every project, and would
    # loop for ever when an unsupported project fits the leftover budget).
    eligible = [pd.index for pd in prepared.projects]
    if sum(p.cost for p in instance.projects) <= instance.budget:
        b = Fraction(instance.budget, n)
        return run_mes(prepared, b, tie_breaking=tie_breaking, explain=explain), Add1Trace(b, 1)
    b = Fraction(instance.budget // (n * unit) * unit)
    current = run_mes(prepared, b, tie_breaking=tie_breaking)
    runs = 1
    while not _exhaustive(instance, current.selected, eligible):
        nxt = run_mes(prepared, b + increment, tie_breaking=tie_breaking)
        runs += 1
        if _cost(instance, nxt) > instance.budget:
            break
        b += increment
        current = nxt
    final = run_mes(prepared, b, tie_breaking=tie_breaking, explain=explain)
    return final, Add1Trace(b, runs)


def add1_pabutools(
    prepared: Prepared,
    *,
    increment: int = 1,
    tie_breaking: TieBreaking = TieBreaking.LEXICOGRAPHIC,
    explain: bool = True,
) -> tuple[MesRun, Add1Trace]:
    """pabutools 1.2.3 ``method_of_equal_shares(..., voter_budget_increment=increment)``."""
    instance = prepared.instance
    b = Fraction(instance.budget, prepared.num_voters)
    available = [pd.index for pd in prepared.projects]
    previous: MesRun | None = None
    previous_b = b
    runs = 0
    while True:
        current = run_mes(prepared, b, tie_breaking=tie_breaking)
        runs += 1
        if _cost(instance, current) > instance.budget:
            if previous is None:  # cannot happen with budget / voters; keep pabutools' shape
                return MesRun(tuple(prepared.free), (), {}), Add1Trace(b, runs)
            final = run_mes(prepared, previous_b, tie_breaking=tie_breaking, explain=explain)
            return final, Add1Trace(previous_b, runs)
        if _exhaustive(instance, current.selected, available):
            final = run_mes(prepared, b, tie_breaking=tie_breaking, explain=explain)
            return final, Add1Trace(b, runs)
        previous, previous_b = current, b
        b += increment


def greedy_by_supporters(instance: Instance, profile: Profile) -> list[int]:
    """Utilitarian completion from nothing, by number of supporters, file order on ties."""
    votes = [0] * len(instance.projects)
    for ballot in profile.ballots:
        for p in ballot:
            votes[p] += 1
    chosen: list[int] = []
    spent = 0
    for i in sorted(range(len(votes)), key=lambda i: -votes[i]):
        cost = instance.projects[i].cost
        if not instance.projects[i].is_withdrawn and spent + cost <= instance.budget:
            chosen.append(i)
            spent += cost
    return chosen


def compare_with_greedy(
    instance: Instance, profile: Profile, mes_chosen: Sequence[int], mode: Comparison
) -> tuple[bool, int, int, list[int]]:
    """(keep MES?, voters preferring MES, voters preferring greedy, greedy outcome)."""
    greedy = greedy_by_supporters(instance, profile)
    in_mes, in_greedy = set(mes_chosen), set(greedy)
    prefers_mes = prefers_greedy = 0
    for ballot in profile.ballots:
        a = sum(1 for p in ballot if p in in_mes)
        g = sum(1 for p in ballot if p in in_greedy)
        if mode is Comparison.EXCLUSION:
            a, g = min(a, 1), min(g, 1)
        if a > g:
            prefers_mes += 1
        elif g > a:
            prefers_greedy += 1
    return prefers_greedy <= prefers_mes, prefers_mes, prefers_greedy, greedy


def method_of_equal_shares(
    instance: Instance,
    profile: Profile,
    *,
    utility: Utility = Utility.COST,
    completion: Completion = Completion.NONE,
    comparison: Comparison = Comparison.NONE,
    tie_breaking: TieBreaking | None = None,
    increment: int = 1,
    rule: str = "mes",
    explain: bool = True,
) -> Outcome:
    """MES with the named completion and comparison; exact. See the module docstring.
    ``explain=False`` skips the per-project explanations (details then name only free,
    withdrawn and unsupported projects): the selection is the same, a few times faster."""
    if tie_breaking is None:
        pabutools = completion is Completion.ADD1_PABUTOOLS
        tie_breaking = TieBreaking.LEXICOGRAPHIC if pabutools else TieBreaking.EQUALSHARES
    params: dict[str, object] = {
        "utility": utility.value,
        "completion": completion.value,
        "comparison": comparison.value,
        "tie_breaking": tie_breaking.value,
        "increment": increment,
    }
    if profile.num_voters == 0:
        return Outcome(rule, (), 0, instance.budget, {}, params)
    prepared = Prepared(instance, profile, utility)
    notes: list[str] = []
    unit = 10**instance.decimals  # increments are in currency units, amounts in minor units
    step = increment * unit
    if completion is Completion.NONE:
        b = Fraction(instance.budget, profile.num_voters)
        run = run_mes(prepared, b, tie_breaking=tie_breaking, explain=explain)
        trace = Add1Trace(b, 1)
    elif completion is Completion.ADD1:
        run, trace = add1(
            prepared, increment=step, tie_breaking=tie_breaking, unit=unit, explain=explain
        )
    elif completion is Completion.ADD1_EXHAUSTIVE:
        run, trace = add1_exhaustive(
            prepared, increment=step, tie_breaking=tie_breaking, unit=unit, explain=explain
        )
    else:
        run, trace = add1_pabutools(
            prepared, increment=step, tie_breaking=tie_breaking, explain=explain
        )
    params["per_voter_budget"] = str(trace.per_voter_budget)
    params["mes_runs"] = trace.runs
    chosen = list(run.selected)
    details = dict(run.details)
    for p in instance.projects:
        if p.id not in details:
            status = "withdrawn" if p.is_withdrawn else "no_support"
            details[p.id] = ProjectDetail(p.id, status, status.replace("_", " "))
    if comparison is not Comparison.NONE:
        keep, pm, pg, greedy = compare_with_greedy(instance, profile, chosen, comparison)
        notes.append(f"comparison ({comparison.value}): {pm} voters prefer MES, {pg} prefer greedy")
        params["prefer_mes"], params["prefer_greedy"] = pm, pg
        if not keep:
            chosen = greedy
            notes.append("greedy outcome chosen by the comparison step")
            details = {
                p.id: ProjectDetail(
                    p.id,
                    "funded" if i in set(greedy) else "not_funded",
                    "greedy outcome preferred by more voters",
                )
                for i, p in enumerate(instance.projects)
            }
    ids = tuple(instance.projects[i].id for i in chosen)
    return Outcome(
        rule,
        ids,
        sum(instance.projects[i].cost for i in chosen),
        instance.budget,
        details,
        params,
        tuple(notes),
    )
