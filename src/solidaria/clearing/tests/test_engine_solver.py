"""Exact small cases for the clearing engine (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from solidaria.clearing.engine import (
    ENGINE_VERSION,
    CreditLine,
    Obligation,
    ObligationTable,
    clear,
)


def test_triangle_clears_completely():
    # given a cycle a → b → c → a of 10 each
    obligations = [Obligation("a", "b", 10), Obligation("b", "c", 10), Obligation("c", "a", 10)]
    # when
    result = clear(obligations)
    # then
    assert result.setoffs() == [10, 10, 10]
    assert result.total_setoff == 30
    assert result.remaining.tolist() == [0, 0, 0]
    assert result.engine_version == ENGINE_VERSION


def test_cycle_clears_only_its_smallest_amount():
    result = clear([("a", "b", 10), ("b", "c", 4), ("c", "a", 7)])
    assert result.setoffs() == [4, 4, 4]


def test_bilateral_debts_net_against_each_other():
    result = clear([("a", "b", 100), ("b", "a", 60)])
    assert result.setoffs() == [60, 60]


def test_a_chain_has_nothing_to_set_off():
    result = clear([("a", "b", 5), ("b", "c", 5), ("c", "d", 5)])
    assert result.setoffs() == [0, 0, 0]


def test_parallel_obligations_are_set_off_first_listed_first():
    # given two invoices a → b (30 then 50) and b → a 60
    result = clear([("a", "b", 30), ("b", "a", 60), ("a", "b", 50)])
    # then a's first invoice is set off fully, the second for the rest
    assert result.setoffs() == [30, 60, 30]


def test_zero_amount_obligation_takes_no_part():
    result = clear([("a", "b", 0), ("a", "b", 5), ("b", "a", 5)])
    assert result.setoffs() == [0, 5, 5]


def test_empty_input_gives_empty_result():
    result = clear([])
    assert result.setoffs() == []
    assert result.total_debt == 0
    assert result.summary().basis_points == 0


def test_int_and_str_ids_are_different_members():
    # given 1 → "1" → 1: two distinct members, so a 2-cycle
    result = clear([(1, "1", 5), ("1", 1, 3)])
    assert result.setoffs() == [3, 3]
    assert result.table.members == (1, "1")


def test_same_graph_in_any_order_gives_same_setoff_per_obligation():
    obligations = [
        ("a", "b", 7),
        ("b", "c", 5),
        ("c", "a", 6),
        ("b", "a", 2),
        ("c", "b", 3),
        ("a", "c", 4),
    ]
    base = dict(zip(obligations, clear(obligations).setoffs(), strict=True))
    for seed in range(5):
        shuffled = [obligations[i] for i in np.random.default_rng(seed).permutation(6)]
        again = dict(zip(shuffled, clear(shuffled).setoffs(), strict=True))
        assert again == base


@pytest.mark.parametrize(
    ("obligations", "message"),
    [
        ([("a", "a", 5)], "same member"),
        ([("a", "b", -1)], "negative amount"),
        ([("a", "b", 1.5)], "not an int"),
        ([("a", None, 1)], "not a str or int"),
        ([("a", "b", 2**63)], "64 bits"),
        ([("a", "b", 2**62), ("b", "a", 2**62 - 1)], "too large"),
    ],
)
def test_bad_obligations_are_refused(obligations, message):
    with pytest.raises(ValueError, match=message):
        clear(obligations)


def test_table_from_indexed_checks_indices():
    with pytest.raises(ValueError, match="out of range"):
        ObligationTable.from_indexed(
            ("a", "b"), np.array([0]), np.array([2]), np.array([1], dtype=np.int64)
        )


def test_credit_line_lets_an_open_chain_clear():
    # given a → b → c and a may draw 30 on its credit line
    result = clear([("a", "b", 100), ("b", "c", 100)], credit_lines=[CreditLine("a", 30)])
    # then a pays b 30 on credit, b pays c 30: both invoices shrink by 30
    assert result.setoffs() == [30, 30]
    assert [(u.member, u.limit, u.used) for u in result.credit_uses] == [("a", 30, 30)]
    assert result.drawn.tolist() == [30, 0, 0]
    assert result.received.tolist() == [0, 0, 30]


def test_credit_is_not_drawn_when_a_pure_cycle_suffices():
    # given a full cycle and generous credit lines
    obligations = [("a", "b", 10), ("b", "c", 10), ("c", "a", 10)]
    lines = [CreditLine(m, 1000) for m in "abc"]
    # when
    result = clear(obligations, credit_lines=lines)
    # then everything is set off and no credit is used
    assert result.setoffs() == [10, 10, 10]
    assert result.total_credit_used == 0


def test_credit_tops_up_a_cycle_with_a_tail():
    # given a → b 10, b → a 4, and b → c 6; b may draw 6
    result = clear(
        [("a", "b", 10), ("b", "a", 4), ("b", "c", 6)],
        credit_lines=[CreditLine("b", 6), CreditLine("zz-unknown", 5)],
    )
    # then the 2-cycle clears 4 each; a has no line, so a → b's rest cannot be paid,
    # but b's line pays c in full
    assert result.setoffs() == [4, 4, 6]
    assert {u.member: u.used for u in result.credit_uses} == {"b": 6}


def test_zero_credit_lines_change_nothing():
    obligations = [("a", "b", 10), ("b", "c", 4), ("c", "a", 7), ("c", "d", 3)]
    with_lines = clear(obligations, credit_lines=[CreditLine("a", 0), CreditLine("c", 0)])
    assert with_lines.setoffs() == clear(obligations).setoffs()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([CreditLine("a", -1)], "limit"),
        ([CreditLine("a", 1), CreditLine("a", 2)], "twice"),
    ],
)
def test_bad_credit_lines_are_refused(lines, message):
    with pytest.raises(ValueError, match=message):
        clear([("a", "b", 1)], credit_lines=lines)


@pytest.mark.parametrize("members", [("a", "a"), ("a", "b", "a"), ("b", "a", "b"), (1, 1)])
def test_a_table_refuses_duplicate_member_ids(members):
    one = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="duplicate member ids"):
        ObligationTable.from_indexed(members, one, one + 1, one + 5)
