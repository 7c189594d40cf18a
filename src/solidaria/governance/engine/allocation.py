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
from math import gcd, lcm

from solidaria.governance.engine.bylaws import FULL, Bylaws
from solidaria.governance.engine.rounding import largest_remainder_scaled

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
    """A member's part. Exact values are kept as integer numerators over a denominator
    shared by every line (so a million members allocate in seconds); the `Fraction`
    properties give them exactly."""

    member: str
    share_numerator: int
    share_denominator: int
    exact_numerator: int
    exact_denominator: int
    cents: int
    cash_cents: int
    capital_cents: int

    @property
    def patronage_share(self) -> Fraction:
        """Share of the members' return, exactly (0 when nobody has patronage)."""
        return Fraction(self.share_numerator, self.share_denominator)

    @property
    def exact_cents(self) -> Fraction:
        return Fraction(self.exact_numerator, self.exact_denominator)

    @property
    def patronage_share_text(self) -> str:
        """`str(self.patronage_share)`, without building the Fraction."""
        return fraction_text(self.share_numerator, self.share_denominator)


def fraction_text(numerator: int, denominator: int) -> str:
    """What `str(Fraction(numerator, denominator))` prints, faster."""
    g = gcd(numerator, denominator)
    n, d = numerator // g, denominator // g
    if d < 0:
        n, d = -n, -d
    return str(n) if d == 1 else f"{n}/{d}"


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
    hours, purchases = _scaled([r.hours for r in rows]), _scaled([r.purchases for r in rows])
    numerators, total = _score_numerators(bylaws, hours, purchases)
    return [Fraction(n, total) if total else Fraction(0) for n in numerators]


def _scaled(values: Sequence[Fraction]) -> list[int]:
    """Integers proportional to `values` (all multiplied by the lcm of their denominators)."""
    common = lcm(*{v.denominator for v in values}) if values else 1
    return [v.numerator * (common // v.denominator) for v in values]


def _score_numerators(
    bylaws: Bylaws, hours: Sequence[int], purchases: Sequence[int]
) -> tuple[list[int], int]:
    """Integer scores proportional to each member's patronage score, and their total.

    score = w_hours x hours / total hours + w_purchases x purchases / total purchases;
    multiplied by FULL x total hours x total purchases (a factor common to every member,
    which the share cancels), each score is an integer."""
    total_hours, total_purchases = sum(hours), sum(purchases)
    w_hours = bylaws.hours_weight_bp if total_hours else 0
    w_purchases = bylaws.purchases_weight_bp if total_purchases else 0
    by_hours = w_hours * (total_purchases if w_purchases else 1)
    by_purchases = w_purchases * (total_hours if w_hours else 1)
    if not by_purchases:
        numerators = [by_hours * h for h in hours]
    elif not by_hours:
        numerators = [by_purchases * p for p in purchases]
    else:
        numerators = [
            by_hours * h + by_purchases * p for h, p in zip(hours, purchases, strict=True)
        ]
    return numerators, sum(numerators)


def _check_rows(members: Sequence[str], hours: Sequence[int], purchases: Sequence[int]) -> None:
    seen: set[str] = set()
    for member, h, p in zip(members, hours, purchases, strict=True):
        if not member.strip():
            raise AllocationError("member name is empty")
        if member in seen:
            raise AllocationError("listed twice", member)
        seen.add(member)
        if h < 0:
            raise AllocationError(f"negative hours {h}", member)
        if p < 0:
            raise AllocationError(f"negative purchases {p}", member)


def allocate_surplus(
    surplus_cents: int, bylaws: Bylaws, patronage: Sequence[Patronage]
) -> Allocation:
    """Allocate `surplus_cents` among funds and members by `bylaws` (see module doc)."""
    for row in patronage:  # negative values named as given, before scaling
        if row.hours < 0:
            raise AllocationError(f"negative hours {row.hours}", row.member)
        if row.purchases < 0:
            raise AllocationError(f"negative purchases {row.purchases}", row.member)
    return allocate_scaled(
        surplus_cents,
        bylaws,
        [r.member for r in patronage],
        _scaled([r.hours for r in patronage]),
        _scaled([r.purchases for r in patronage]),
    )


def allocate_scaled(
    surplus_cents: int,
    bylaws: Bylaws,
    members: Sequence[str],
    hours: Sequence[int],
    purchases: Sequence[int],
) -> Allocation:
    """`allocate_surplus` for patronage given as integers, each column in one unit of its
    own choice (hundredths of an hour, cents...): only proportions matter. Linear in the
    number of members, in integers (no Fraction per member)."""
    if surplus_cents < 0:
        raise AllocationError(
            f"surplus {surplus_cents} cents is negative; losses are not allocated"
        )
    _check_rows(members, hours, purchases)
    scores, total = _score_numerators(bylaws, hours, purchases)
    has_patronage = total > 0
    n = total if has_patronage else 1
    # Every exact amount as a numerator over one denominator: FULL x FULL x n.
    denominator = FULL * FULL * n
    s = surplus_cents
    reserves = s * bylaws.reserves_bp * n
    indivisible = reserves * bylaws.indivisible_reserves_bp
    members_pool = s * bylaws.members_bp * FULL * n
    fund_exact = {
        RESERVES_INDIVISIBLE: indivisible,
        RESERVES_DIVISIBLE: reserves * FULL - indivisible,
        SOCIAL_FUND: s * bylaws.social_fund_bp * FULL * n,
    }
    fund_exact[bylaws.collective_account] = fund_exact.get(bylaws.collective_account, 0) + (
        0 if has_patronage else members_pool
    )
    factor = s * bylaws.members_bp * FULL
    member_exact = [factor * score for score in scores] if has_patronage else [0] * len(scores)

    fund_names = list(fund_exact)
    exact = [fund_exact[f] for f in fund_names] + member_exact
    parts, residue = largest_remainder_scaled(surplus_cents, exact, denominator)
    fund_cents = dict(zip(fund_names, parts[: len(fund_names)], strict=True))
    fund_cents[bylaws.collective_account] += residue

    cash_bp = bylaws.cash_bp
    shares = []
    for member, score, ex, cents in zip(
        members, scores, member_exact, parts[len(fund_names) :], strict=True
    ):
        cash = -(-cents * cash_bp // FULL)
        shares.append(MemberShare(member, score, n, ex, denominator, cents, cash, cents - cash))
    funds = tuple(
        FundShare(f, Fraction(fund_exact[f], denominator), fund_cents[f]) for f in fund_names
    )
    allocation = Allocation(surplus_cents, bylaws, tuple(shares), funds, residue)
    assert allocation.total_cents == surplus_cents
    return allocation
