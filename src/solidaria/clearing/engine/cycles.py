"""Decompose the set-off into cycles, for showing "top cycles found" on a result page.

Set-offs form a circulation (with liquidity, through the extra node L: L→m carries the
credit m drew, m→L the payment m received), so they split into simple cycles. We walk
each member's arcs largest first and peel off a cycle whenever the walk closes; the
decomposition is deterministic, exact, and every unit of set-off lands in exactly one
cycle. A cycle's size is the debt it clears: its amount times its number of obligations.

A full decomposition of a million set-offs takes minutes in Python (hundreds of
thousands of long cycles), so `top_cycles` stops after a budget of walk steps and picks
the largest among the cycles peeled so far, starting from the members with the most
set-off: on big networks it shows large cycles, not provably the largest ones.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solidaria.clearing.engine.model import MemberId, member_sort_key

if TYPE_CHECKING:
    from solidaria.clearing.engine.solver import ClearingResult


@dataclass(frozen=True)
class Cycle:
    """`members[0]` owes `members[1]` ... and the last owes `members[0]`, each `amount`.

    With `uses_liquidity` the chain is open: `members[0]` draws `amount` on its credit
    line to pay `members[1]`, ..., and the last member receives the payment as credit.
    """

    members: tuple[MemberId, ...]
    amount: int
    uses_liquidity: bool = False

    @property
    def obligation_count(self) -> int:
        return len(self.members) - (1 if self.uses_liquidity else 0)

    @property
    def cleared(self) -> int:
        return self.amount * self.obligation_count

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": [str(m) for m in self.members],
            "amount": self.amount,
            "cleared": self.cleared,
            "uses_liquidity": self.uses_liquidity,
        }


def decompose(result: ClearingResult, *, max_steps: int | None = None) -> list[Cycle]:
    """The cycles of the set-off flow, peeled from the members with most set-off first.

    Complete (their `cleared` sums to the total set off) unless `max_steps` walk steps
    run out first.
    """
    table = result.table
    hub = table.member_count
    pairs = result.pairs
    keep = pairs.setoff > 0
    tails = [pairs.debtor[keep]]
    heads = [pairs.creditor[keep]]
    values = [pairs.setoff[keep]]
    drawers = np.flatnonzero(result.drawn > 0)
    receivers = np.flatnonzero(result.received > 0)
    tails += [np.full(len(drawers), hub, dtype=np.int64), receivers]
    heads += [drawers, np.full(len(receivers), hub, dtype=np.int64)]
    values += [result.drawn[drawers], result.received[receivers]]
    tail = np.concatenate(tails)
    head = np.concatenate(heads)
    value = np.concatenate(values)
    order = np.lexsort((head, -value, tail))  # by tail, then largest first
    head_list: list[int] = head[order].tolist()
    left: list[int] = value[order].tolist()
    first = np.searchsorted(tail[order], np.arange(hub + 2)).tolist()
    pointer: list[int] = first[:-1]
    end: list[int] = first[1:]

    def next_arc(node: int) -> int:
        arc = pointer[node]
        while left[arc] == 0:
            arc += 1
        pointer[node] = arc
        return arc

    throughput = np.zeros(hub + 1, dtype=np.int64)
    np.add.at(throughput, tail, value)
    starts: list[int] = np.argsort(-throughput, kind="stable").tolist()
    steps = 0
    found: list[Cycle] = []
    for start in starts:
        if max_steps is not None and steps >= max_steps:
            break
        while pointer[start] < end[start] and _has_flow(left, pointer, end, start):
            path = [start]
            arcs: list[int] = []
            on_path = {start: 0}
            node = start
            while path:
                steps += 1
                arc = next_arc(node)
                nxt = head_list[arc]
                arcs.append(arc)
                if nxt not in on_path:
                    on_path[nxt] = len(path)
                    path.append(nxt)
                    node = nxt
                    continue
                cut = on_path[nxt]
                cycle_arcs = arcs[cut:]
                amount = min(left[a] for a in cycle_arcs)
                for a in cycle_arcs:
                    left[a] -= amount
                found.append(_make_cycle(table.members, path[cut:], amount, hub))
                for gone in path[cut + 1 :]:
                    del on_path[gone]
                del path[cut + 1 :]
                del arcs[cut:]
                node = nxt
                if cut == 0 and not _has_flow(left, pointer, end, start):
                    break
                if max_steps is not None and steps >= max_steps:
                    return found
    return found


def _has_flow(left: list[int], pointer: list[int], end: list[int], node: int) -> bool:
    arc = pointer[node]
    while arc < end[node] and left[arc] == 0:
        arc += 1
    pointer[node] = arc
    return arc < end[node]


def _make_cycle(members: tuple[MemberId, ...], nodes: list[int], amount: int, hub: int) -> Cycle:
    if hub in nodes:
        at = nodes.index(hub)
        chain = nodes[at + 1 :] + nodes[:at]
        return Cycle(tuple(members[i] for i in chain), amount, uses_liquidity=True)
    at = nodes.index(min(nodes))
    ring = nodes[at:] + nodes[:at]
    return Cycle(tuple(members[i] for i in ring), amount)


def top_cycles(
    result: ClearingResult, *, limit: int = 10, max_steps: int | None = 200_000
) -> list[Cycle]:
    """The `limit` cycles that clear the most debt (ties: larger amount, then members),
    among those found within `max_steps` walk steps (None: exhaustive)."""
    return heapq.nsmallest(
        limit,
        decompose(result, max_steps=max_steps),
        key=lambda c: (
            -c.cleared,
            -c.amount,
            tuple(member_sort_key(m) for m in c.members),
        ),
    )
