"""The fast report paths of `solidaria clear` agree with their plain definitions.

`top_cycles` ranks only the cycles that can still make the top, `decompose` orders arcs
with two stable sorts instead of `np.lexsort`, and the summary's per-member JSON is built
from arrays: each is checked here against the straightforward version on random networks
(with and without credit lines, with small and no step budgets).
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.clearing.engine import CreditLine, Cycle, clear, decompose
from solidaria.clearing.engine.cycles import _by_tail_largest_first, _make_cycle
from solidaria.clearing.engine.model import member_sort_key
from solidaria.clearing.engine.synthetic import synthetic_network

from .test_engine_properties import networks


def reference_decompose(result, max_steps: int | None) -> list[Cycle]:
    """The walk as first written (np.lexsort, a helper per step, Cycle objects at once)."""
    table = result.table
    hub = table.member_count
    pairs = result.pairs
    keep = pairs.setoff > 0
    drawers = np.flatnonzero(result.drawn > 0)
    receivers = np.flatnonzero(result.received > 0)
    tail = np.concatenate([pairs.debtor[keep], np.full(len(drawers), hub), receivers])
    head = np.concatenate([pairs.creditor[keep], drawers, np.full(len(receivers), hub)])
    value = np.concatenate([pairs.setoff[keep], result.drawn[drawers], result.received[receivers]])
    order = np.lexsort((head, -value, tail))
    head_list = head[order].tolist()
    left = value[order].tolist()
    first = np.searchsorted(tail[order], np.arange(hub + 2)).tolist()
    pointer, end = first[:-1], first[1:]

    def has_flow(node):
        arc = pointer[node]
        while arc < end[node] and left[arc] == 0:
            arc += 1
        pointer[node] = arc
        return arc < end[node]

    throughput = np.zeros(hub + 1, dtype=np.int64)
    np.add.at(throughput, tail, value)
    steps, found = 0, []
    for start in np.argsort(-throughput, kind="stable").tolist():
        if max_steps is not None and steps >= max_steps:
            break
        while pointer[start] < end[start] and has_flow(start):
            path, arcs, on_path, node = [start], [], {start: 0}, start
            while path:
                steps += 1
                arc = pointer[node]
                while left[arc] == 0:
                    arc += 1
                pointer[node] = arc
                nxt = head_list[arc]
                arcs.append(arc)
                if nxt not in on_path:
                    on_path[nxt] = len(path)
                    path.append(nxt)
                    node = nxt
                    continue
                cut = on_path[nxt]
                amount = min(left[a] for a in arcs[cut:])
                for a in arcs[cut:]:
                    left[a] -= amount
                found.append(_make_cycle(table.members, path[cut:], amount, hub))
                for gone in path[cut + 1 :]:
                    del on_path[gone]
                del path[cut + 1 :]
                del arcs[cut:]
                node = nxt
                if cut == 0 and not has_flow(start):
                    break
                if max_steps is not None and steps >= max_steps:
                    return found
    return found


def plain_top(result, limit: int, max_steps: int | None):
    """The definition: the `limit` smallest of all peeled cycles by the full key."""
    return heapq.nsmallest(
        limit,
        reference_decompose(result, max_steps),
        key=lambda c: (-c.cleared, -c.amount, tuple(member_sort_key(m) for m in c.members)),
    )


@settings(max_examples=150, deadline=None)
@given(
    networks(),
    st.integers(0, 6),
    st.one_of(st.none(), st.integers(-2, 12)),
    st.lists(st.integers(0, 400), max_size=3),
)
def test_top_cycles_match_the_definition(obligations, limit, max_steps, limits) -> None:
    members = sorted({m for d, c, _ in obligations for m in (d, c)}, key=member_sort_key)
    lines = [CreditLine(m, cap) for m, cap in zip(members, limits, strict=False)]
    result = clear(obligations, credit_lines=lines)
    assert decompose(result, max_steps=max_steps) == reference_decompose(result, max_steps)
    assert result.top_cycles(limit, max_steps=max_steps) == plain_top(result, limit, max_steps)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_walk_matches_the_reference_on_a_larger_network(seed) -> None:
    """Thousands of members, cycles dozens of arcs long: every budget peels the same."""
    result = clear(synthetic_network(4000, seed=seed))
    for max_steps in (None, 1, 333, 4000):
        assert decompose(result, max_steps=max_steps) == reference_decompose(result, max_steps)
    assert result.top_cycles(5, max_steps=4000) == plain_top(result, 5, 4000)


@settings(max_examples=150, deadline=None)
@given(networks())
def test_summary_members_match_the_positions(obligations) -> None:
    summary = clear(obligations).summary()
    assert summary.as_dict()["members"] == {str(p.member): p.as_dict() for p in summary.positions}
    assert len(summary.positions) == summary.member_count


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 5)),
        max_size=30,
        unique_by=lambda arc: (arc[0], arc[1]),
    ),
    st.booleans(),
    st.sampled_from([1, 2**20, 2**58]),  # 2**58: too wide for one packed key
)
def test_arc_order_is_the_lexsort_order(arcs, presorted, scale) -> None:
    if presorted:
        arcs = sorted(arcs)
    tail = np.asarray([a[0] for a in arcs], dtype=np.int64)
    head = np.asarray([a[1] for a in arcs], dtype=np.int64)
    value = np.asarray([a[2] * scale for a in arcs], dtype=np.int64)
    expected = np.lexsort((head, -value, tail))
    assert _by_tail_largest_first(tail, head, value, 7).tolist() == expected.tolist()


@settings(max_examples=150, deadline=None)
@given(networks())
def test_pairs_keep_the_stable_key_order(obligations) -> None:
    from solidaria.clearing.engine.model import ObligationTable
    from solidaria.clearing.engine.solver import _aggregate_pairs

    table = ObligationTable.from_obligations(obligations)
    n = max(table.member_count, 1)
    key = np.where(table.amount > 0, table.debtor * n + table.creditor, -1)
    order = _aggregate_pairs(table)[4]
    assert order.tolist() == np.argsort(key, kind="stable").tolist()
