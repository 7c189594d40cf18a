"""The bridge between stored obligations and the pure set-off engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from solidaria.clearing.engine import ENGINE_VERSION, clear

# Cycles kept with a run, largest first: stewards read the first ten, each member the
# ones they are in (on very large runs only these largest are kept).
STORED_CYCLES = 2_000


@dataclass(frozen=True)
class Solved:
    setoffs: list[int]
    summary: dict[str, Any]
    cycles: list[dict[str, Any]]
    engine_version: str


def solve(
    rows: Sequence[tuple[int, int, int]], *, format_amount: Callable[[int], str] = str
) -> Solved:
    """rows: (debtor id, creditor id, remaining amount) → the maximal set-off per row.

    The stored summary leaves out the per-member table (pages recompute it from the run's
    items); amounts are integers, with `*_display` strings formatted for the currency.
    """
    if not rows:
        empty = {
            "total_debt": 0,
            "total_setoff": 0,
            "percent_cleared": "0.00",
            "percent_cleared_bp": 0,
            "net_debt_before": 0,
            "net_debt_after": 0,
            "gross_debt_after": 0,
            "member_count": 0,
            "members_touched": 0,
            "credit_used": 0,
        }
        return Solved([], _with_display(empty, format_amount), [], ENGINE_VERSION)
    result = clear(rows)
    summary = result.summary().as_dict(with_members=False)
    cycles = [
        {"members": [int(m) for m in c.members], "amount": c.amount, "cleared": c.cleared}
        for c in result.top_cycles(STORED_CYCLES)
    ]
    return Solved(
        result.setoffs(), _with_display(summary, format_amount), cycles, result.engine_version
    )


def _with_display(summary: dict[str, Any], format_amount: Callable[[int], str]) -> dict[str, Any]:
    for key in ("total_debt", "total_setoff", "net_debt_before", "net_debt_after"):
        summary[f"{key}_display"] = format_amount(summary[key])
    summary["percent_cleared"] = f"{summary['percent_cleared']} %"
    return summary
