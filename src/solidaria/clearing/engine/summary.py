"""What a clearing did, in exact integers: totals, share cleared, and per-member positions.

Definitions (all in minor units):
- total debt: sum of all obligations before clearing; total set off: sum of set-offs;
  gross debt after: total debt - total set off (what remains owed).
- a member's net position: owed to it - owed by it. Net internal debt: the sum of the
  negative net positions (what net debtors owe overall); equivalently the sum of the
  positive ones. Clearing never changes it; with a liquidity source it falls by the
  amount moved onto the mutual-credit ledger, and `net_debt_after` counts obligations only.
- percent cleared: total set off / total debt, kept as an exact Fraction; `basis_points`
  rounds it down to an integer number of hundredths of a per cent.
- members touched: members with any obligation set off (either side) or credit drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from solidaria.clearing.engine.model import IntArray, MemberId

if TYPE_CHECKING:
    from fractions import Fraction

    from solidaria.clearing.engine.solver import ClearingResult


@dataclass(frozen=True)
class MemberPosition:
    """One member before and after: `owed` is what others owe it, `owing` what it owes."""

    member: MemberId
    owed: int
    owing: int
    claims_setoff: int
    debts_setoff: int
    credit_used: int = 0
    received: int = 0

    @property
    def owed_after(self) -> int:
        return self.owed - self.claims_setoff

    @property
    def owing_after(self) -> int:
        return self.owing - self.debts_setoff

    @property
    def net_before(self) -> int:
        return self.owed - self.owing

    @property
    def net_after(self) -> int:
        return self.owed_after - self.owing_after

    def as_dict(self) -> dict[str, int]:
        """`setoff` is the member's debts set off (equal to its claims set off unless
        liquidity was used)."""
        return {
            "owed": self.owed,
            "owing": self.owing,
            "setoff": self.debts_setoff,
            "claims_setoff": self.claims_setoff,
            "owed_after": self.owed_after,
            "owing_after": self.owing_after,
            "credit_used": self.credit_used,
            "received": self.received,
        }


_POSITION_KEYS = (
    "owed",
    "owing",
    "setoff",
    "claims_setoff",
    "owed_after",
    "owing_after",
    "credit_used",
    "received",
)
"""The keys of `MemberPosition.as_dict`, in its order."""


@dataclass(frozen=True)
class ClearingSummary:
    """A clearing's totals (defined above) and, on demand, every member's position."""

    total_debt: int
    total_setoff: int
    net_debt_before: int
    net_debt_after: int
    member_count: int
    members_touched: int
    total_credit_used: int
    columns: tuple[tuple[MemberId, ...], tuple[IntArray, ...]] = field(repr=False, compare=False)
    """Members and their owed, owing, claims set off, debts set off, drawn, received:
    the per-member positions, turned into objects only when asked for (a command that
    prints the totals of a million members never builds them)."""

    @cached_property
    def positions(self) -> tuple[MemberPosition, ...]:
        members, arrays = self.columns
        return tuple(
            MemberPosition(*row) for row in zip(members, *(a.tolist() for a in arrays), strict=True)
        )

    @property
    def gross_debt_after(self) -> int:
        return self.total_debt - self.total_setoff

    @property
    def cleared_fraction(self) -> Fraction:
        from fractions import Fraction  # not at import: the CLI never needs it

        return Fraction(self.total_setoff, self.total_debt) if self.total_debt else Fraction(0)

    @property
    def basis_points(self) -> int:
        """Per cent cleared in hundredths of a per cent, rounded down (6667 = 66.67 %)."""
        return self.total_setoff * 10_000 // self.total_debt if self.total_debt else 0

    @property
    def percent_display(self) -> str:
        return f"{self.basis_points // 100}.{self.basis_points % 100:02d}"

    def as_dict(self, *, with_members: bool = True) -> dict[str, Any]:
        """JSON-ready, integers only (percent as a string and as basis points)."""
        data: dict[str, Any] = {
            "total_debt": self.total_debt,
            "total_setoff": self.total_setoff,
            "percent_cleared": self.percent_display,
            "percent_cleared_bp": self.basis_points,
            "net_debt_before": self.net_debt_before,
            "net_debt_after": self.net_debt_after,
            "gross_debt_after": self.gross_debt_after,
            "member_count": self.member_count,
            "members_touched": self.members_touched,
            "credit_used": self.total_credit_used,
        }
        if with_members:
            data["members"] = self._members_dict()
        return data

    def _members_dict(self) -> dict[str, dict[str, int]]:
        """`{str(p.member): p.as_dict() for p in self.positions}`, from the arrays."""
        members, (owed, owing, claims_setoff, debts_setoff, drawn, received) = self.columns
        keys = _POSITION_KEYS
        after = (owed - claims_setoff, owing - debts_setoff)
        columns = (owed, owing, debts_setoff, claims_setoff, *after, drawn, received)
        return {
            str(member): dict(zip(keys, row, strict=True))
            for member, *row in zip(members, *(c.tolist() for c in columns), strict=True)
        }


def _per_member(count: int, index: IntArray, values: IntArray) -> IntArray:
    out = np.zeros(count, dtype=np.int64)
    np.add.at(out, index, values)
    return out


def summarize(result: ClearingResult) -> ClearingSummary:
    table = result.table
    count = table.member_count
    owing = _per_member(count, table.debtor, table.amount)
    owed = _per_member(count, table.creditor, table.amount)
    debts_setoff = _per_member(count, table.debtor, result.setoff)
    claims_setoff = _per_member(count, table.creditor, result.setoff)
    net_before = owed - owing
    net_after = (owed - claims_setoff) - (owing - debts_setoff)
    touched = (debts_setoff > 0) | (claims_setoff > 0) | (result.drawn > 0)
    arrays = (owed, owing, claims_setoff, debts_setoff, result.drawn, result.received)
    return ClearingSummary(
        total_debt=result.total_debt,
        total_setoff=result.total_setoff,
        net_debt_before=int(np.maximum(-net_before, 0).sum()),
        net_debt_after=int(np.maximum(-net_after, 0).sum()),
        member_count=count,
        members_touched=int(touched.sum()),
        total_credit_used=result.total_credit_used,
        columns=(table.members, arrays),
    )
