"""Network indicators: figures a network computes from its own economic data.

The catalogue (`data/indicators/network/network_1.json`, kind `network`) lists each
indicator with its unit, what it is computed per (currency, process, poll or the whole
network), its source, its period and its formula; this module holds one function per
indicator code, over plain data the app gathers for one period (`NetworkData`).
A figure keeps its numerator and denominator, so a page can say how it was computed,
and its exact value (a `Fraction`); nothing is rounded here.

Semantics, spelled out (the formula text in the catalogue says the same):
- trade is a completed payment (payment, payment request, bulk or import; not grants,
  levies or reversals) that was not reversed, between two accounts of the currency;
- a share of accounts in credit / in debt is over the currency's accounts at the end of
  the period, balance > 0 / balance < 0 (an account at exactly 0 is in neither);
- velocity is the period's trade over the money in circulation at its end (the sum of
  the positive balances, which in mutual credit equals the sum of the negative ones);
- a share with a zero denominator is not computed (no figure rather than 0 or 100 %);
- a participatory budget's voters "with a funded project" are the ballots that name at
  least one project the rule funded (any support counts: approval, points or rank);
- gender balance counts the people of a group (members, stewards) by the gender they
  declared themselves (`GENDERS`, "not_declared" included), each as a share of the group.
  A cell of 1 to 4 people is suppressed (`details["suppressed"] == 1`); if that leaves
  one suppressed cell, the smallest other non-empty cell is suppressed too (== 2), so it
  cannot be worked out from the total; a group of fewer than 5 people is suppressed
  whole. A suppressed figure carries no count (numerator 0, no denominator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
    "ENGINE_VERSION",
    "INDICATORS",
    "AccountBalance",
    "BudgetSatisfaction",
    "BudgetTurnout",
    "GENDERS",
    "SMALL_GROUP",
    "ClearingApplied",
    "CurrencyInfo",
    "Figure",
    "GenderCount",
    "Invoice",
    "NetworkData",
    "Payment",
    "PollTurnout",
    "compute",
]

ENGINE_VERSION = "2"

# the self-declared categories of `accounts.User.gender`, as counted ("" -> not_declared)
GENDERS = ("woman", "man", "non_binary", "another", "prefer_not_to_say", "not_declared")
SMALL_GROUP = 5  # a cell of fewer people is never shown


@dataclass(frozen=True, slots=True)
class CurrencyInfo:
    code: str
    is_time: bool  # a time bank: amounts in minutes
    exponent: int = 2


@dataclass(frozen=True, slots=True)
class Payment:
    currency: str
    amount: int  # minor units (minutes for time)
    payer_person: int | None = None  # the person behind the account, if any
    payee_person: int | None = None


@dataclass(frozen=True, slots=True)
class AccountBalance:
    currency: str
    balance: int  # at the end of the period


@dataclass(frozen=True, slots=True)
class Invoice:
    """An obligation recorded in the period and how much of it was settled inside the
    network by the end of the period (set off by clearing or paid on the ledger)."""

    currency: str
    amount: int
    settled_inside: int


@dataclass(frozen=True, slots=True)
class ClearingApplied:
    """A clearing run applied in the period: the debts it looked at and what it set off."""

    currency: str
    gross: int
    set_off: int


@dataclass(frozen=True, slots=True)
class BudgetTurnout:
    process: str  # slug
    title: str
    electorate: int
    ballots: int


@dataclass(frozen=True, slots=True)
class BudgetSatisfaction:
    """One count of a process by one rule: how many ballots had at least one funded project."""

    process: str  # slug
    title: str
    rule: str
    ballots: int
    satisfied: int


@dataclass(frozen=True, slots=True)
class PollTurnout:
    poll: str  # id
    title: str
    electorate: int
    voters: int


@dataclass(frozen=True, slots=True)
class GenderCount:
    """How many people of a group ("members" or "stewards") declared one gender."""

    group: str
    gender: str  # one of GENDERS
    people: int


@dataclass(frozen=True, slots=True)
class NetworkData:
    currencies: tuple[CurrencyInfo, ...] = ()
    payments: tuple[Payment, ...] = ()
    balances: tuple[AccountBalance, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    clearing: tuple[ClearingApplied, ...] = ()
    budgets: tuple[BudgetTurnout, ...] = ()
    budget_counts: tuple[BudgetSatisfaction, ...] = ()
    polls: tuple[PollTurnout, ...] = ()
    members: int = 0  # admitted members at the end of the period
    members_who_voted: int = 0  # of them, who took part in at least one poll of the period
    genders: tuple[GenderCount, ...] = ()


@dataclass(frozen=True, slots=True)
class Figure:
    """One value of one indicator for one subject ("" for the whole network)."""

    indicator: str
    subject: str
    value: Fraction
    numerator: int
    denominator: int | None = None  # None: the value is the numerator itself
    subject_label: str = ""
    details: dict[str, int] = field(default_factory=dict)


def _share(
    indicator: str, subject: str, num: int, den: int, label: str = "", **details: int
) -> list[Figure]:
    if den <= 0:
        return []
    return [Figure(indicator, subject, Fraction(num, den), num, den, label, dict(details))]


def _amount(indicator: str, subject: str, value: int, **details: int) -> list[Figure]:
    return [Figure(indicator, subject, Fraction(value), value, None, "", dict(details))]


def _money(data: NetworkData) -> list[CurrencyInfo]:
    return [c for c in data.currencies if not c.is_time]


def _time(data: NetworkData) -> list[CurrencyInfo]:
    return [c for c in data.currencies if c.is_time]


def _trade(data: NetworkData, code: str) -> int:
    return sum(p.amount for p in data.payments if p.currency == code)


def _circulation(data: NetworkData, code: str) -> int:
    return sum(b.balance for b in data.balances if b.currency == code and b.balance > 0)


def trade_settled_inside(data: NetworkData) -> list[Figure]:
    out = []
    for c in data.currencies:
        rows = [i for i in data.invoices if i.currency == c.code]
        inside = sum(i.settled_inside for i in rows)
        out += _share("trade.settled_inside", c.code, inside, sum(i.amount for i in rows))
    return out


def ledger_volume(data: NetworkData) -> list[Figure]:
    return [
        f
        for c in _money(data)
        for f in _amount(
            "ledger.volume",
            c.code,
            _trade(data, c.code),
            payments=sum(p.currency == c.code for p in data.payments),
        )
    ]


def ledger_velocity(data: NetworkData) -> list[Figure]:
    return [
        f
        for c in _money(data)
        for f in _share("ledger.velocity", c.code, _trade(data, c.code), _circulation(data, c.code))
    ]


def _balance_share(data: NetworkData, indicator: str, sign: int) -> list[Figure]:
    out = []
    for c in data.currencies:
        rows = [b.balance for b in data.balances if b.currency == c.code]
        count = sum(1 for b in rows if (b > 0 if sign > 0 else b < 0))
        out += _share(indicator, c.code, count, len(rows))
    return out


def ledger_in_credit(data: NetworkData) -> list[Figure]:
    return _balance_share(data, "ledger.accounts_in_credit", 1)


def ledger_in_debt(data: NetworkData) -> list[Figure]:
    return _balance_share(data, "ledger.accounts_in_debt", -1)


def timebank_hours(data: NetworkData) -> list[Figure]:
    return [
        f for c in _time(data) for f in _amount("timebank.minutes", c.code, _trade(data, c.code))
    ]


def timebank_people(data: NetworkData) -> list[Figure]:
    out = []
    for c in _time(data):
        people: set[int] = set()
        for p in data.payments:
            if p.currency == c.code:
                people.update(x for x in (p.payer_person, p.payee_person) if x is not None)
        out += _amount("timebank.people", c.code, len(people))
    return out


def clearing_set_off(data: NetworkData) -> list[Figure]:
    out = []
    for c in data.currencies:
        runs = [r for r in data.clearing if r.currency == c.code]
        if runs:
            out += _amount("clearing.set_off", c.code, sum(r.set_off for r in runs), runs=len(runs))
    return out


def clearing_liquidity_saved(data: NetworkData) -> list[Figure]:
    out = []
    for c in data.currencies:
        runs = [r for r in data.clearing if r.currency == c.code]
        out += _share(
            "clearing.liquidity_saved",
            c.code,
            sum(r.set_off for r in runs),
            sum(r.gross for r in runs),
        )
    return out


def budgeting_turnout(data: NetworkData) -> list[Figure]:
    return [
        f
        for b in data.budgets
        for f in _share("budgeting.turnout", b.process, b.ballots, b.electorate, b.title)
    ]


def budgeting_voters_funded(data: NetworkData) -> list[Figure]:
    """Per process and rule: the share of ballots that supported at least one funded
    project (subject "slug/rule"), so a network sees what a proportional rule changes."""
    return [
        f
        for b in data.budget_counts
        for f in _share(
            "budgeting.voters_with_funded_project",
            f"{b.process}/{b.rule}",
            b.satisfied,
            b.ballots,
            b.title,
        )
    ]


def governance_poll_turnout(data: NetworkData) -> list[Figure]:
    return [
        f
        for p in data.polls
        for f in _share("governance.poll_turnout", p.poll, p.voters, p.electorate, p.title)
    ]


def governance_members_voting(data: NetworkData) -> list[Figure]:
    return _share("governance.members_voting", "", data.members_who_voted, data.members)


def suppressed_cells(counts: dict[str, int]) -> dict[str, int]:
    """Which cells to hide, and why: 1 for 1 to 4 people, 2 for a second cell hidden so
    that a lone hidden one cannot be worked out from the total; every cell of a group of
    fewer than SMALL_GROUP people (1)."""
    total = sum(counts.values())
    if 0 < total < SMALL_GROUP:
        return dict.fromkeys(counts, 1)
    hidden = {g: 1 for g, n in counts.items() if 0 < n < SMALL_GROUP}
    if len(hidden) == 1:
        others = sorted(
            (n, GENDERS.index(g) if g in GENDERS else len(GENDERS), g)
            for g, n in counts.items()
            if n > 0 and g not in hidden
        )
        if others:
            hidden[others[0][2]] = 2
    return hidden


def _gender_balance(data: NetworkData, group: str, indicator: str) -> list[Figure]:
    counts = dict.fromkeys(GENDERS, 0)
    for c in data.genders:
        if c.group == group:
            key = c.gender if c.gender in counts else "not_declared"
            counts[key] += c.people
    total = sum(counts.values())
    if total == 0:
        return []
    hidden = suppressed_cells(counts)
    out: list[Figure] = []
    for gender in GENDERS:
        if gender in hidden:
            out.append(
                Figure(indicator, gender, Fraction(0), 0, None, "", {"suppressed": hidden[gender]})
            )
        else:
            out += _share(indicator, gender, counts[gender], total)
    return out


def gender_members(data: NetworkData) -> list[Figure]:
    return _gender_balance(data, "members", "people.gender_members")


def gender_stewards(data: NetworkData) -> list[Figure]:
    return _gender_balance(data, "stewards", "people.gender_stewards")


INDICATORS: dict[str, Callable[[NetworkData], list[Figure]]] = {
    "trade.settled_inside": trade_settled_inside,
    "ledger.volume": ledger_volume,
    "ledger.velocity": ledger_velocity,
    "ledger.accounts_in_credit": ledger_in_credit,
    "ledger.accounts_in_debt": ledger_in_debt,
    "timebank.minutes": timebank_hours,
    "timebank.people": timebank_people,
    "clearing.set_off": clearing_set_off,
    "clearing.liquidity_saved": clearing_liquidity_saved,
    "budgeting.turnout": budgeting_turnout,
    "budgeting.voters_with_funded_project": budgeting_voters_funded,
    "governance.poll_turnout": governance_poll_turnout,
    "governance.members_voting": governance_members_voting,
    "people.gender_members": gender_members,
    "people.gender_stewards": gender_stewards,
}


class UnknownIndicator(ValueError):
    """A catalogue names an indicator this engine version cannot compute."""


def compute(codes: Iterable[str], data: NetworkData) -> list[Figure]:
    """Every figure of the indicators `codes` (catalogue order), for one period's data."""
    out: list[Figure] = []
    for code in codes:
        try:
            fn = INDICATORS[code]
        except KeyError:
            raise UnknownIndicator(
                f"{code}: no such indicator in engine {ENGINE_VERSION}"
            ) from None
        out += fn(data)
    return out
