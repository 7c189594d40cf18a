"""Property tests on random networks, with networkx's network_simplex as the oracle."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.clearing.engine import CreditLine, clear, decompose

MAX_MEMBERS = 7


@st.composite
def networks(draw: st.DrawFn) -> list[tuple[int | str, int | str, int]]:
    size = draw(st.integers(2, MAX_MEMBERS))
    ids: list[int | str] = draw(
        st.lists(
            st.one_of(st.integers(0, 50), st.text("abcxyz", min_size=1, max_size=3)),
            min_size=size,
            max_size=size,
            unique=True,
        )
    )
    edge = st.tuples(
        st.integers(0, size - 1), st.integers(0, size - 1), st.integers(0, 1_000)
    ).filter(lambda e: e[0] != e[1])
    edges = draw(st.lists(edge, min_size=0, max_size=25))
    return [(ids[d], ids[c], a) for d, c, a in edges]


def oracle_setoff(obligations, credit: dict | None = None) -> int:
    """Max total set-off as a max-weight circulation (a formulation independent of ours)."""
    graph = nx.MultiDiGraph()
    for d, c, a in obligations:
        graph.add_edge(("m", d), ("m", c), capacity=a, weight=-1)
    for member, limit in (credit or {}).items():
        graph.add_edge("L", ("m", member), capacity=limit, weight=0)
        graph.add_edge(("m", member), "L", capacity=10**9, weight=0)
    if credit:
        for _, c, _ in obligations:
            graph.add_edge(("m", c), "L", capacity=10**9, weight=0)
    if graph.number_of_nodes() == 0:
        return 0
    cost, _ = nx.network_simplex(graph)
    return -cost


def net_positions(obligations, amounts) -> dict:
    net: dict = {}
    for (d, c, _), a in zip(obligations, amounts, strict=True):
        net[d] = net.get(d, 0) - a
        net[c] = net.get(c, 0) + a
    return net


@settings(max_examples=150, deadline=None)
@given(networks())
def test_setoff_is_bounded_preserves_net_positions_and_is_optimal(obligations):
    # when
    result = clear(obligations)
    setoff = result.setoffs()
    amounts = [a for *_, a in obligations]
    # then bounds
    assert all(0 <= s <= a for s, a in zip(setoff, amounts, strict=True))
    # then every member's net position is unchanged
    remaining = [a - s for a, s in zip(amounts, setoff, strict=True)]
    assert net_positions(obligations, remaining) == net_positions(obligations, amounts)
    # then the total is networkx's optimum
    assert sum(setoff) == oracle_setoff(obligations)
    # then the cycles account for every unit set off
    assert sum(c.cleared for c in decompose(result)) == sum(setoff)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_clearing_the_remainder_clears_nothing_more(obligations):
    result = clear(obligations)
    rest = [(d, c, r) for (d, c, _), r in zip(obligations, result.remaining.tolist(), strict=True)]
    assert clear(rest).total_setoff == 0


@settings(max_examples=60, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_same_input_same_output_and_order_does_not_change_totals(obligations, rnd):
    first = clear(obligations).setoffs()
    assert clear(list(obligations)).setoffs() == first
    shuffled = list(obligations)
    rnd.shuffle(shuffled)
    assert clear(shuffled).total_setoff == sum(first)


@settings(max_examples=100, deadline=None)
@given(networks(), st.lists(st.integers(0, 600), min_size=MAX_MEMBERS, max_size=MAX_MEMBERS))
def test_liquidity_respects_limits_and_reaches_the_optimum(obligations, limits):
    # given a credit line for every member that appears as a debtor
    debtors = sorted({d for d, _, _ in obligations}, key=str)
    credit = {m: limits[i] for i, m in enumerate(debtors)}
    lines = [CreditLine(m, limit) for m, limit in credit.items()]
    # when
    result = clear(obligations, credit_lines=lines)
    # then
    members = result.table.members
    used = {u.member: u.used for u in result.credit_uses}
    assert all(0 <= used[m] <= credit[m] for m in credit)
    assert result.drawn.sum() == result.received.sum()
    assert not np.any((result.drawn > 0) & (result.received > 0))
    amounts = [a for *_, a in obligations]
    setoff = result.setoffs()
    assert all(0 <= s <= a for s, a in zip(setoff, amounts, strict=True))
    before = net_positions(obligations, amounts)
    after = net_positions(obligations, [a - s for a, s in zip(amounts, setoff, strict=True)])
    for i, m in enumerate(members):
        balance_change = int(result.received[i]) - int(result.drawn[i])
        assert after[m] + balance_change == before[m]
    assert result.total_setoff == oracle_setoff(obligations, credit)
    assert result.total_setoff >= clear(obligations).total_setoff
    assert sum(c.cleared for c in decompose(result)) == result.total_setoff
