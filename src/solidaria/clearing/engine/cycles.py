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
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solidaria.clearing.engine.model import IntArray, MemberId, member_sort_key

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
    members = result.table.members
    hub = result.table.member_count
    return [_make_cycle(members, nodes, amount, hub) for nodes, amount in _peel(result, max_steps)]


def _peel(result: ClearingResult, max_steps: int | None) -> list[tuple[list[int], int]]:
    """The walk of `decompose`: each cycle as (its member indices in walk order, amount).

    One loop with everything in locals (it runs up to `max_steps` times for the CLI)."""
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
    order = _by_tail_largest_first(tail, head, value, hub)
    head_list: list[int] = head[order].tolist()
    left: list[int] = value[order].tolist()
    first = np.searchsorted(tail[order], np.arange(hub + 2)).tolist()
    pointer: list[int] = first[:-1]
    end: list[int] = first[1:]
    throughput = np.zeros(hub + 1, dtype=np.int64)
    np.add.at(throughput, tail, value)
    starts: list[int] = np.argsort(-throughput, kind="stable").tolist()
    budget = sys.maxsize if max_steps is None else max_steps
    steps = 0
    found: list[tuple[list[int], int]] = []
    peeled = found.append
    for start in starts:
        if steps >= budget:
            break
        while _has_flow(left, pointer, end, start):
            path = [start]
            arcs: list[int] = []
            on_path = {start: 0}
            node = start
            while True:
                steps += 1
                arc = pointer[node]  # the node's next arc with flow left (there is one)
                while not left[arc]:
                    arc += 1
                pointer[node] = arc
                nxt = head_list[arc]
                arcs.append(arc)
                cut = on_path.get(nxt)
                if cut is None:
                    on_path[nxt] = len(path)
                    path.append(nxt)
                    node = nxt
                    continue
                cycle_arcs = arcs[cut:]
                amount = min(map(left.__getitem__, cycle_arcs))
                for a in cycle_arcs:
                    left[a] -= amount
                peeled((path[cut:], amount))
                for gone in path[cut + 1 :]:
                    del on_path[gone]
                del path[cut + 1 :]
                del arcs[cut:]
                node = nxt
                if cut == 0 and not _has_flow(left, pointer, end, start):
                    break
                if steps >= budget:
                    return found
    return found


def _by_tail_largest_first(tail: IntArray, head: IntArray, value: IntArray, hub: int) -> IntArray:
    """The order of `np.lexsort((head, -value, tail))`, in two stable sorts instead of three.

    (tail, head) is unique per arc, so: sort by it (pairs come sorted already), then
    stably by -value, then stably by tail (in a narrow integer type: a radix sort)."""
    key = tail * (hub + 1) + head
    base: IntArray = np.arange(len(key)) if bool((key[1:] > key[:-1]).all()) else np.argsort(key)
    by_value = base[np.argsort(-value[base], kind="stable")]
    narrow = np.uint16 if hub < 2**16 else np.int64
    by_tail: IntArray = by_value[np.argsort(tail[by_value].astype(narrow), kind="stable")]
    return by_tail


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
    members = result.table.members
    hub = result.table.member_count
    peeled = _peel(result, max_steps)
    if limit <= 0 or not peeled:
        return []
    # The debt a cycle clears and its amount come from the walk's numbers alone; only the
    # cycles that can still make the top (those up to the limit-th by these two) become
    # Cycle objects and are ranked by their members too.
    liquidity = bool((result.drawn > 0).any() or (result.received > 0).any())
    keys = [
        (-amount * (len(nodes) - (2 if liquidity and hub in nodes else 0)), -amount)
        for nodes, amount in peeled
    ]
    cutoff = heapq.nsmallest(limit, keys)[-1]
    near = [
        _make_cycle(members, nodes, amount, hub)
        for (nodes, amount), key in zip(peeled, keys, strict=True)
        if key <= cutoff
    ]
    return heapq.nsmallest(
        limit,
        near,
        key=lambda c: (
            -c.cleared,
            -c.amount,
            tuple(member_sort_key(m) for m in c.members),
        ),
    )
