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

    From each start the walk follows every node's current arc (its largest arc with flow
    left) until it meets a node already on its path; that closes a cycle, which is peeled
    off, and the walk goes on from the node where the cycle began. A step is one arc
    followed; after each peel the walk stops if `max_steps` steps have been taken.

    The loop runs up to `max_steps` times for the CLI, so it works on node-indexed lists:
    `succ[v]` (where v's current arc leads, -1 when v has no flow left), `cur[v]` (the flow
    left on it) and `at[v]` (v's place on the path, -1 off it). A step is then two list
    reads, a test and an append; the steps are counted from the path's growth at each
    peel. Only the current arc of a node is ever reduced, so the arcs after it still carry
    their whole flow: when a peel empties a node's arc, its next arc takes over as is."""
    table = result.table
    hub = table.member_count
    budget = sys.maxsize if max_steps is None else max_steps
    if budget <= 0:
        return []
    tail, head, value = _arcs(result)
    if not len(tail):
        return []
    order = _by_tail_largest_first(tail, head, value, hub)
    value = value[order]
    head = head[order]
    bounds = np.searchsorted(tail[order], np.arange(hub + 2))
    pointer: list[int] = bounds[:-1].tolist()  # each node's current arc (all carry flow)
    end: list[int] = bounds[1:].tolist()
    busy = np.flatnonzero(bounds[:-1] < bounds[1:])
    first = bounds[busy]
    first_head = np.full(hub + 1, -1, dtype=np.int64)
    first_head[busy] = head[first]
    first_flow = np.zeros(hub + 1, dtype=np.int64)
    first_flow[busy] = value[first]
    succ: list[int] = first_head.tolist()
    cur: list[int] = first_flow.tolist()
    throughput = np.zeros(hub + 1, dtype=np.int64)  # flow out of each node
    throughput[busy] = np.add.reduceat(value, first)
    # the later arcs are read one by one as arcs empty (a 50,000-step walk empties ~2,000
    # of 70,000): as Python lists only when the walk may go through them all
    heads: list[int] | IntArray = head.tolist() if budget >= len(head) else head
    flows: list[int] | IntArray = value.tolist() if budget >= len(head) else value
    starts: list[int] = np.argsort(-throughput, kind="stable").tolist()
    at = [-1] * (hub + 1)
    steps = 0
    found: list[tuple[list[int], int]] = []
    peeled = found.append
    for start in starts:
        if steps >= budget:
            break
        if succ[start] < 0:
            continue
        path = [start]
        grow = path.append
        at[start] = 0
        nxt = start
        grown = 1  # len(path) when the steps were last counted
        while True:
            nxt = succ[nxt]
            while at[nxt] < 0:  # the walk: one arc per step until the path meets itself
                at[nxt] = len(path)
                grow(nxt)
                nxt = succ[nxt]
            cut = at[nxt]
            steps += len(path) - grown + 1
            cycle = path[cut:]
            amount = min(map(cur.__getitem__, cycle))
            for v in cycle:
                rest = cur[v] - amount
                if rest:
                    cur[v] = rest
                    continue
                arc = pointer[v] + 1  # its next arc, with all its flow
                if arc < end[v]:
                    pointer[v] = arc
                    cur[v] = int(flows[arc])
                    succ[v] = int(heads[arc])
                else:
                    cur[v] = 0
                    succ[v] = -1
            peeled((cycle, amount))
            for v in cycle[1:]:
                at[v] = -1
            del path[cut + 1 :]
            grown = cut + 1
            if cut == 0 and succ[start] < 0:
                at[start] = -1
                break
            if steps >= budget:
                return found
    return found


def _arcs(result: ClearingResult) -> tuple[IntArray, IntArray, IntArray]:
    """Tail, head and flow of every arc with set-off (with liquidity: through the hub)."""
    hub = result.table.member_count
    pairs = result.pairs
    keep = pairs.setoff > 0
    drawers = np.flatnonzero(result.drawn > 0)
    receivers = np.flatnonzero(result.received > 0)
    if not len(drawers) and not len(receivers):
        return pairs.debtor[keep], pairs.creditor[keep], pairs.setoff[keep]
    tail = np.concatenate(
        [pairs.debtor[keep], np.full(len(drawers), hub, dtype=np.int64), receivers]
    )
    head = np.concatenate(
        [pairs.creditor[keep], drawers, np.full(len(receivers), hub, dtype=np.int64)]
    )
    value = np.concatenate([pairs.setoff[keep], result.drawn[drawers], result.received[receivers]])
    return tail, head, value


def _by_tail_largest_first(tail: IntArray, head: IntArray, value: IntArray, hub: int) -> IntArray:
    """The order of `np.lexsort((head, -value, tail))`, by one sort when it can.

    When tail, value and head fit together in 63 bits (amounts below about 2**35 with ten
    thousand members), the three make one integer key, unique because (tail, head) is:
    one unstable sort of it gives the order. Otherwise: sort by (tail, head) (pairs come
    sorted already), then stably by -value, then stably by tail."""
    if not len(tail):
        return np.zeros(0, dtype=np.int64)
    node_bits = int(hub + 1).bit_length()
    top = int(value.max())
    value_bits = top.bit_length()
    if 2 * node_bits + value_bits <= 63 and int(value.min()) > 0:
        key = ((tail << value_bits) + (top - value)) << node_bits | head
        packed: IntArray = np.argsort(key)
        return packed
    key = tail * (hub + 1) + head
    base: IntArray = np.arange(len(key)) if bool((key[1:] > key[:-1]).all()) else np.argsort(key)
    by_value = base[np.argsort(-value[base], kind="stable")]
    narrow = np.uint16 if hub < 2**16 else np.int64
    by_tail: IntArray = by_value[np.argsort(tail[by_value].astype(narrow), kind="stable")]
    return by_tail


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
