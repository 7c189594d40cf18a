"""Maximal multilateral set-off as a minimum-cost flow (OR-Tools `SimpleMinCostFlow`).

The model. Obligation i says debtor owes creditor `a_i`; a member's net position is what it
is owed minus what it owes. A clearing sets off `s_i` of each obligation (0 ≤ s_i ≤ a_i)
so that every net position is unchanged, i.e. the set-offs form a circulation. Write
`f_i = a_i - s_i` for what remains: `f` is then a flow with arc capacities `a_i` whose node
supplies are the net positions (supply = owing - owed), and the total set off is largest
exactly when the total remaining `Σ f_i` is smallest. So we solve a min-cost flow with
unit cost 1 on every obligation and read the set-off as `a - f`. The optimum is integral
and exact (int64 throughout, no floats).

Parallel obligations (the same debtor and creditor, several invoices) are summed into one
arc before solving. The pair's set-off is then given to its obligations oldest first, in
the caller's order (first listed, first set off): this is the only place order matters.
Member ids are sorted and arcs are listed by (debtor, creditor), so the solver sees the
same graph for any permutation of the input; OR-Tools is deterministic for a given graph,
so the same input always gives the same output.

Liquidity (optional; Fleischman & Dini 2021, "Mathematical foundations for balancing the
payment system in the trade credit market"). A member with a mutual-credit line
`(member, limit)` may draw up to `limit` on it to pay its debts; whoever is paid receives
a positive mutual-credit balance. We add one node L and, in the remaining-flow graph,
an arc member→L per credit line (capacity min(limit, member's debts), cost 1: the credit
drawn) and an arc L→member for every creditor (capacity its claims, cost 0: the payment
received); obligation arcs cost 2. Every residual cycle passes L at most once, so it
changes the credit drawn by at most its own flow while it changes the remaining debt by a
multiple of it: with costs 2 and 1 the optimum first maximises the total set off and then,
among maximal set-offs, minimises the credit drawn. With liquidity an obligation's
"set-off" is the part cleared, by set-off or by a payment on credit; each member's net
position over obligations plus its change of mutual-credit balance (received - drawn) is
unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from solidaria.clearing.engine.model import (
    CreditLine,
    IntArray,
    MemberId,
    Obligation,
    ObligationTable,
)

if TYPE_CHECKING:
    from solidaria.clearing.engine.cycles import Cycle
    from solidaria.clearing.engine.summary import ClearingSummary

ENGINE_VERSION = "mcf-1"

_OBLIGATION_COST = 1
_OBLIGATION_COST_WITH_LIQUIDITY = 2
_DRAW_COST = 1


@dataclass(frozen=True)
class CreditUse:
    """How much of one credit line the clearing used."""

    member: MemberId
    limit: int
    used: int


@dataclass(frozen=True)
class PairFlows:
    """The solution per distinct (debtor, creditor) pair, sorted by (debtor, creditor)."""

    debtor: IntArray
    creditor: IntArray
    amount: IntArray
    setoff: IntArray


@dataclass(frozen=True)
class ClearingResult:
    """The proposed set-off for every obligation (row order of `table`), with details.

    `drawn[m]` / `received[m]` are member m's credit drawn and payments received through
    the liquidity source (all zero without credit lines); index m is `table.members[m]`.
    """

    table: ObligationTable
    setoff: IntArray
    pairs: PairFlows
    drawn: IntArray
    received: IntArray
    credit_uses: tuple[CreditUse, ...]
    engine_version: str = ENGINE_VERSION
    details: Mapping[str, int | str] = field(default_factory=dict)

    @property
    def remaining(self) -> IntArray:
        return self.table.amount - self.setoff

    @property
    def total_debt(self) -> int:
        return int(self.table.amount.sum())

    @property
    def total_setoff(self) -> int:
        return int(self.setoff.sum())

    @property
    def total_credit_used(self) -> int:
        return int(self.drawn.sum())

    def setoffs(self) -> list[int]:
        """Set-off per obligation as Python ints, in the caller's order."""
        return [int(x) for x in self.setoff.tolist()]

    def summary(self) -> ClearingSummary:
        from solidaria.clearing.engine.summary import summarize

        return summarize(self)

    def top_cycles(self, limit: int = 10, *, max_steps: int | None = 200_000) -> list[Cycle]:
        from solidaria.clearing.engine.cycles import top_cycles

        return top_cycles(self, limit=limit, max_steps=max_steps)


def clear(
    obligations: ObligationTable | Iterable[Obligation | tuple[MemberId, MemberId, int]],
    *,
    credit_lines: Iterable[CreditLine] = (),
) -> ClearingResult:
    """Set off as much debt as possible without changing any member's net position.

    Raises ValueError on bad input (self-obligation, negative amount, duplicate or
    negative credit line, totals beyond int64) and RuntimeError if the solver fails.
    """
    table = (
        obligations
        if isinstance(obligations, ObligationTable)
        else ObligationTable.from_obligations(obligations)
    )
    count = table.member_count
    limits = _credit_limits(table, credit_lines)
    pairs_d, pairs_c, pairs_a, group_of_row, order = _aggregate_pairs(table)

    supply = np.zeros(count, dtype=np.int64)  # owing - owed
    np.add.at(supply, pairs_d, pairs_a)
    np.add.at(supply, pairs_c, -pairs_a)

    drawn = np.zeros(count, dtype=np.int64)
    received = np.zeros(count, dtype=np.int64)
    pair_setoff = np.zeros(len(pairs_a), dtype=np.int64)
    details: dict[str, int | str] = {
        "obligations": len(table),
        "members": count,
        "pairs": len(pairs_a),
        "liquidity": "yes" if limits else "no",
    }
    if len(pairs_a):
        owing = np.zeros(count, dtype=np.int64)
        owed = np.zeros(count, dtype=np.int64)
        if limits:  # only credit lines need what each member owes and is owed
            np.add.at(owing, pairs_d, pairs_a)
            np.add.at(owed, pairs_c, pairs_a)
        draw_members = np.asarray(sorted(limits), dtype=np.int64)
        draw_cap = np.minimum(
            np.asarray([limits[int(m)] for m in draw_members], dtype=np.int64),
            owing[draw_members] if len(draw_members) else np.zeros(0, dtype=np.int64),
        )
        use_liquidity = bool(len(draw_members)) and int(draw_cap.sum()) > 0
        flows = _solve(
            count, pairs_d, pairs_c, pairs_a, supply, use_liquidity, draw_members, draw_cap, owed
        )
        pair_flow = flows[: len(pairs_a)]
        pair_setoff = pairs_a - pair_flow
        if use_liquidity:
            k = len(draw_members)
            drawn[draw_members] = flows[len(pairs_a) : len(pairs_a) + k]
            receivers = np.flatnonzero(owed > 0)
            received[receivers] = flows[len(pairs_a) + k :]
        details["arcs"] = len(flows)

    setoff = _distribute(table.amount, order, group_of_row, pair_setoff)
    credit_uses = tuple(
        CreditUse(table.members[m], limit, int(drawn[m])) for m, limit in sorted(limits.items())
    )
    return ClearingResult(
        table=table,
        setoff=setoff,
        pairs=PairFlows(pairs_d, pairs_c, pairs_a, pair_setoff),
        drawn=drawn,
        received=received,
        credit_uses=credit_uses,
        details=details,
    )


def _credit_limits(table: ObligationTable, lines: Iterable[CreditLine]) -> dict[int, int]:
    """Credit limit per member index; lines of members without obligations are dropped."""
    index: dict[MemberId, int] | None = None  # built at the first line (most runs have none)
    seen: set[MemberId] = set()
    limits: dict[int, int] = {}
    for line in lines:
        if index is None:
            index = {member: i for i, member in enumerate(table.members)}
        if isinstance(line.limit, bool) or not isinstance(line.limit, int) or line.limit < 0:
            raise ValueError(f"credit line of {line.member!r}: limit must be an int ≥ 0")
        if line.member in seen:
            raise ValueError(f"credit line of {line.member!r} given twice")
        seen.add(line.member)
        if line.member in index:
            limits[index[line.member]] = line.limit
    return limits


def _aggregate_pairs(
    table: ObligationTable,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Sum parallel obligations: pairs sorted by (debtor, creditor), zero amounts dropped.

    Returns pair debtor, creditor, amount, then for the stably key-sorted rows their pair
    number (-1 for zero rows) and the sort order itself.
    """
    n = max(table.member_count, 1)
    key = table.debtor * n + table.creditor
    row_bits = max(len(key) - 1, 1).bit_length()
    if (n * n - 1).bit_length() + row_bits <= 63 and bool((table.amount > 0).all()):
        # the usual case: (key, row) packed in one integer, so one plain sort is stable
        packed = (key << row_bits) | np.arange(len(key), dtype=np.int64)
        packed.sort()
        order = packed & ((1 << row_bits) - 1)
        sorted_key = packed >> row_bits
    else:
        key = np.where(table.amount > 0, key, -1)  # zero rows sort first, into no pair
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
    is_start = np.ones(len(sorted_key), dtype=bool)
    is_start[1:] = sorted_key[1:] != sorted_key[:-1]
    group = np.cumsum(is_start) - 1
    if len(sorted_key) and sorted_key[0] == -1:
        group -= 1  # the zero-amount block becomes group -1
        is_start[0] = False
    starts = np.flatnonzero(is_start)
    pair_key = sorted_key[starts]
    sorted_amount = table.amount[order]
    pair_amount = (
        np.add.reduceat(sorted_amount, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    )
    return pair_key // n, pair_key % n, pair_amount.astype(np.int64), group, order


def _solve(
    count: int,
    pairs_d: IntArray,
    pairs_c: IntArray,
    pairs_a: IntArray,
    supply: IntArray,
    use_liquidity: bool,
    draw_members: IntArray,
    draw_cap: IntArray,
    owed: IntArray,
) -> IntArray:
    """Min-cost flow of the remaining debt; returns the flow per arc in the order added:
    obligation pairs, then (with liquidity) draw arcs, then receipt arcs."""
    tails = [pairs_d]
    heads = [pairs_c]
    caps = [pairs_a]
    cost = _OBLIGATION_COST_WITH_LIQUIDITY if use_liquidity else _OBLIGATION_COST
    costs = [np.full(len(pairs_a), cost, dtype=np.int64)]
    nodes = count
    if use_liquidity:
        hub = count
        nodes = count + 1
        receivers = np.flatnonzero(owed > 0)
        tails += [draw_members, np.full(len(receivers), hub, dtype=np.int64)]
        heads += [np.full(len(draw_members), hub, dtype=np.int64), receivers]
        caps += [draw_cap, owed[receivers]]
        costs += [
            np.full(len(draw_members), _DRAW_COST, dtype=np.int64),
            np.zeros(len(receivers), dtype=np.int64),
        ]
    # imported at first use (~30 ms): a run stopped by a bad file never loads OR-Tools
    from ortools.graph.python import min_cost_flow

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64),
        np.concatenate(costs),
    )
    all_supply = np.zeros(nodes, dtype=np.int64)
    all_supply[:count] = supply
    solver.set_nodes_supplies(np.arange(nodes, dtype=np.int32), all_supply)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver failed: {status}")
    flows: IntArray = np.asarray(solver.flows(arcs), dtype=np.int64)
    return flows


def _distribute(
    amount: IntArray, order: IntArray, group: IntArray, pair_setoff: IntArray
) -> IntArray:
    """Give each pair's set-off to its obligations in row order (first listed first)."""
    setoff = np.zeros(len(amount), dtype=np.int64)
    if not len(pair_setoff):
        return setoff
    valid = group >= 0
    sorted_amount = np.where(valid, amount[order], 0)
    cumulative = np.cumsum(sorted_amount)
    before = cumulative - sorted_amount  # amount of earlier rows overall
    safe_group = np.where(valid, group, 0)
    is_start = np.ones(len(group), dtype=bool)
    is_start[1:] = group[1:] != group[:-1]
    group_base = np.zeros(len(pair_setoff), dtype=np.int64)
    starts = np.flatnonzero(is_start & valid)
    group_base[group[starts]] = before[starts]
    before_in_group = before - group_base[safe_group]
    budget = pair_setoff[safe_group]
    share = np.clip(budget - before_in_group, 0, sorted_amount)
    setoff[order] = np.where(valid, share, 0)
    return setoff
