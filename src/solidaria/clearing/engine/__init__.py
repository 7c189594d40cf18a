"""Multilateral clearing of members' debts: pure Python + numpy + OR-Tools, no Django.

    from solidaria.clearing.engine import Obligation, clear
    result = clear([Obligation("a", "b", 100), Obligation("b", "a", 60)])
    result.setoffs()                  # [60, 60]
    result.summary().as_dict()        # totals, percent, per-member positions
    [c.as_dict() for c in result.top_cycles(5)]

See `solver` for the model (min-cost flow; optional liquidity from credit lines),
`summary` for the definitions reported, `csvio` for the CSV format of `solidaria clear`.
"""

from solidaria.clearing.engine.cycles import Cycle, decompose, top_cycles
from solidaria.clearing.engine.model import CreditLine, MemberId, Obligation, ObligationTable
from solidaria.clearing.engine.solver import (
    ENGINE_VERSION,
    ClearingResult,
    CreditUse,
    PairFlows,
    clear,
)
from solidaria.clearing.engine.summary import ClearingSummary, MemberPosition, summarize

__all__ = [
    "ENGINE_VERSION",
    "ClearingResult",
    "ClearingSummary",
    "CreditLine",
    "CreditUse",
    "Cycle",
    "MemberId",
    "MemberPosition",
    "Obligation",
    "ObligationTable",
    "PairFlows",
    "clear",
    "decompose",
    "summarize",
    "top_cycles",
]
