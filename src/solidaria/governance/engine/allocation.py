"""Surplus allocation: split a year's surplus (in cents) by the bylaws and patronage.

1. The surplus splits into reserves (an indivisible and a divisible part), the
   social/education fund and the members' return, by the bylaws' percentages.
2. The members' return is shared in proportion to patronage: hours worked, purchases,
   or a weighted mix. For a mix, each member's hours and purchases are first taken as a
   share of the co-op's total of each, so units (hours vs money) do not matter:
   score = w_hours x hours / total hours + w_purchases x purchases / total purchases.
3. Every line (each fund, each member) gets its exact share as a fraction of a cent;
   these are rounded together by largest remainder (`rounding.largest_remainder`), so
   every line is within one cent of its exact share. Cents that would have to be split
   among lines with equal remainders go to the collective account instead, as does the
   members' return when no member has any patronage.
4. Each member's cents split into cash, rounded *up* so the cash part is never below
   the bylaws' percentage, and credit to their capital account (the rest).

The parts always add up to the surplus exactly. Negative patronage or a negative surplus
(a loss is not allocated) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from solidaria.governance.engine.bylaws import FULL, Bylaws
from solidaria.governance.engine.rounding import largest_remainder

ENGINE_VERSION = "1"
RESERVES_INDIVISIBLE = "reserves_indivisible"
RESERVES_DIVISIBLE = "reserves_divisible"
SOCIAL_FUND = "social_fund"


class AllocationError(ValueError):
    """Input an allocation refuses; `member` names the row at fault, if any."""

    def __init__(self, message: str, member: str | None = None) -> None:
        super().__init__(message if member is None else f"member {member}: {message}")
        self.member = member


@dataclass(frozen=True, slots=True)
class Patronage:
    """One member's patronage for the year (hours and purchases as exact amounts)."""

    member: str
    hours: Fraction = Fraction(0)
    purchases: Fraction = Fraction(0)


@dataclass(frozen=True, slots=True)
class MemberShare:
    member: str
    patronage_share: Fraction
    exact_cents: Fraction
    cents: int
    cash_cents: int
    capital_cents: int


@dataclass(frozen=True, slots=True)
class FundShare:
    account: str
    exact_cents: Fraction
    cents: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """Cents per member and per fund; `funds` includes the collective account."""

    surplus_cents: int
    bylaws: Bylaws
    members: tuple[MemberShare, ...]
    funds: tuple[FundShare, ...]
    residue_cents: int
    engine_version: str = ENGINE_VERSION

    @property
    def total_cents(self) -> int:
        return sum(m.cents for m in self.members) + sum(f.cents for f in self.funds)


def patronage_shares(bylaws: Bylaws, rows: Sequence[Patronage]) -> list[Fraction]:
    """Each member's exact share of the members' return (all zero if no patronage)."""
    total_hours = sum((r.hours for r in rows), Fraction(0))
    total_purchases = sum((r.purchases for r in rows), Fraction(0))
    scores = []
    for r in rows:
        score = Fraction(0)
        if total_hours and bylaws.hours_weight_bp:
            score += Fraction(bylaws.hours_weight_bp, FULL) * r.hours / total_hours
        if total_purchases and bylaws.purchases_weight_bp:
            score += Fraction(bylaws.purchases_weight_bp, FULL) * r.purchases / total_purchases
        scores.append(score)
    total = sum(scores, Fraction(0))
    return [s / total if total else Fraction(0) for s in scores]


def allocate_surplus(
    surplus_cents: int, bylaws: Bylaws, patronage: Sequence[Patronage]
) -> Allocation:
    """Allocate `surplus_cents` among funds and members by `bylaws` (see module doc)."""
    if surplus_cents < 0:
        raise AllocationError(
            f"surplus {surplus_cents} cents is negative; losses are not allocated"
        )
    seen: set[str] = set()
    for row in patronage:
        if not row.member.strip():
            raise AllocationError("member name is empty")
        if row.member in seen:
            raise AllocationError("listed twice", row.member)
        seen.add(row.member)
        if row.hours < 0:
            raise AllocationError(f"negative hours {row.hours}", row.member)
        if row.purchases < 0:
            raise AllocationError(f"negative purchases {row.purchases}", row.member)

    surplus = Fraction(surplus_cents)
    reserves = surplus * Fraction(bylaws.reserves_bp, FULL)
    indivisible = reserves * Fraction(bylaws.indivisible_reserves_bp, FULL)
    members_pool = surplus * Fraction(bylaws.members_bp, FULL)
    shares = patronage_shares(bylaws, patronage)
    has_patronage = any(shares)
    fund_exact = {
        RESERVES_INDIVISIBLE: indivisible,
        RESERVES_DIVISIBLE: reserves - indivisible,
        SOCIAL_FUND: surplus * Fraction(bylaws.social_fund_bp, FULL),
    }
    fund_exact[bylaws.collective_account] = fund_exact.get(
        bylaws.collective_account, Fraction(0)
    ) + (Fraction(0) if has_patronage else members_pool)
    member_exact = [members_pool * s for s in shares]

    fund_names = list(fund_exact)
    exact = [fund_exact[f] for f in fund_names] + member_exact
    parts, residue = largest_remainder(surplus_cents, exact)
    fund_cents = dict(zip(fund_names, parts[: len(fund_names)], strict=True))
    fund_cents[bylaws.collective_account] += residue

    members = []
    for row, share, ex, cents in zip(
        patronage, shares, member_exact, parts[len(fund_names) :], strict=True
    ):
        cash = -(-cents * bylaws.cash_bp // FULL)
        members.append(MemberShare(row.member, share, ex, cents, cash, cents - cash))
    funds = tuple(FundShare(f, fund_exact[f], fund_cents[f]) for f in fund_names)
    allocation = Allocation(surplus_cents, bylaws, tuple(members), funds, residue)
    assert allocation.total_cents == surplus_cents
    return allocation
