"""Summary figures and cycle extraction, exact values on small networks."""

from __future__ import annotations

from fractions import Fraction

from solidaria.clearing.engine import CreditLine, Cycle, clear, decompose


def test_summary_of_a_cycle_with_a_tail():
    # given a → b 10, b → c 10, c → a 10, and c → d 5
    result = clear([("a", "b", 10), ("b", "c", 10), ("c", "a", 10), ("c", "d", 5)])
    # when
    summary = result.summary()
    # then
    assert summary.total_debt == 35
    assert summary.total_setoff == 30
    assert summary.gross_debt_after == 5
    assert summary.cleared_fraction == Fraction(6, 7)
    assert summary.basis_points == 8571
    assert summary.percent_display == "85.71"
    assert summary.net_debt_before == 5
    assert summary.net_debt_after == 5
    assert summary.members_touched == 3
    assert summary.member_count == 4
    by_member = {p.member: p for p in summary.positions}
    assert by_member["c"].as_dict() == {
        "owed": 10,
        "owing": 15,
        "setoff": 10,
        "claims_setoff": 10,
        "owed_after": 0,
        "owing_after": 5,
        "credit_used": 0,
        "received": 0,
    }
    assert by_member["d"].net_before == by_member["d"].net_after == 5


def test_summary_json_keys_are_integers_or_strings():
    data = clear([("a", "b", 3), ("b", "a", 1)]).summary().as_dict()
    assert data == {
        "total_debt": 4,
        "total_setoff": 2,
        "percent_cleared": "50.00",
        "percent_cleared_bp": 5000,
        "net_debt_before": 2,
        "net_debt_after": 2,
        "gross_debt_after": 2,
        "member_count": 2,
        "members_touched": 2,
        "credit_used": 0,
        "members": {
            "a": {
                "owed": 1,
                "owing": 3,
                "setoff": 1,
                "claims_setoff": 1,
                "owed_after": 0,
                "owing_after": 2,
                "credit_used": 0,
                "received": 0,
            },
            "b": {
                "owed": 3,
                "owing": 1,
                "setoff": 1,
                "claims_setoff": 1,
                "owed_after": 2,
                "owing_after": 0,
                "credit_used": 0,
                "received": 0,
            },
        },
    }


def test_summary_with_liquidity_moves_net_debt_to_the_credit_ledger():
    result = clear([("a", "b", 100), ("b", "c", 100)], credit_lines=[CreditLine("a", 30)])
    summary = result.summary()
    assert summary.total_setoff == 60
    assert summary.total_credit_used == 30
    assert summary.net_debt_before == 100
    assert summary.net_debt_after == 70
    positions = {p.member: p for p in summary.positions}
    # net over obligations + change of mutual-credit balance is unchanged
    for p in positions.values():
        assert p.net_after + (p.received - p.credit_used) == p.net_before


def test_cycles_of_two_overlapping_cycles():
    # given a 2-cycle a ⇄ b of 6 and a triangle a → b → c → a of 2 on top of it
    result = clear([("a", "b", 8), ("b", "a", 6), ("b", "c", 2), ("c", "a", 2)])
    # when
    cycles = decompose(result)
    # then the set-off splits into exactly these cycles
    assert sorted(cycles, key=lambda c: c.amount) == [
        Cycle(("a", "b", "c"), 2),
        Cycle(("a", "b"), 6),
    ]
    assert sum(c.cleared for c in cycles) == result.total_setoff == 18
    assert [c.as_dict() for c in result.top_cycles(1)] == [
        {"members": ["a", "b"], "amount": 6, "cleared": 12, "uses_liquidity": False}
    ]


def test_cycles_through_the_liquidity_source_are_open_chains():
    result = clear([("a", "b", 100), ("b", "c", 100)], credit_lines=[CreditLine("a", 30)])
    assert decompose(result) == [Cycle(("a", "b", "c"), 30, uses_liquidity=True)]
    assert decompose(result)[0].cleared == 60


def test_top_cycles_with_a_small_budget_still_returns_whole_cycles():
    obligations = [(f"m{i}", f"m{(i + 1) % 5}", 10 + i) for i in range(5)]
    obligations += [("m0", "m2", 3), ("m2", "m0", 3)]
    result = clear(obligations)
    few = result.top_cycles(3, max_steps=3)
    assert 1 <= len(few) < len(decompose(result))
    assert sum(c.cleared for c in decompose(result)) == result.total_setoff == 60
