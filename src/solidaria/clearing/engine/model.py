"""Inputs of the clearing engine: obligations, credit lines, and the array form the solver uses.

An obligation says *debtor owes creditor amount* (integer minor units). Member ids are
strings or ints (`"7"` and `7` are different members). Callers with a few obligations pass
`Obligation` objects; callers with millions (CSV import, benchmarks) build an
`ObligationTable` directly, which holds the same data as numpy arrays.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MemberId = str | int
IntArray = npt.NDArray[np.int64]

# Sums of amounts must stay well inside int64: OR-Tools works in int64 and scales costs.
MAX_TOTAL = 2**62


@dataclass(frozen=True, slots=True)
class Obligation:
    """`debtor` owes `creditor` `amount` minor units (amount ≥ 0; 0 takes no part)."""

    debtor: MemberId
    creditor: MemberId
    amount: int


@dataclass(frozen=True, slots=True)
class CreditLine:
    """A member's mutual-credit line: it may go up to `limit` minor units into debit to
    pay its debts during a clearing run (the liquidity source of Fleischman & Dini 2021)."""

    member: MemberId
    limit: int


def member_sort_key(member: MemberId) -> tuple[int, int, str]:
    """A total order on mixed ids: ints first (numerically), then strings."""
    if isinstance(member, int):
        return (0, member, "")
    return (1, 0, member)


@dataclass(frozen=True)
class ObligationTable:
    """Obligations as parallel arrays; row i is obligation i in the caller's order.

    `members` is sorted by `member_sort_key` (the canonical order), and `debtor[i]`,
    `creditor[i]` index into it. Build one with `from_obligations` or `from_indexed`.
    """

    members: tuple[MemberId, ...]
    debtor: IntArray
    creditor: IntArray
    amount: IntArray

    def __len__(self) -> int:
        return int(self.amount.shape[0])

    @property
    def member_count(self) -> int:
        return len(self.members)

    def obligation(self, row: int) -> Obligation:
        return Obligation(
            self.members[int(self.debtor[row])],
            self.members[int(self.creditor[row])],
            int(self.amount[row]),
        )

    @classmethod
    def from_obligations(
        cls, obligations: Iterable[Obligation | tuple[MemberId, MemberId, int]]
    ) -> ObligationTable:
        """Intern member ids (first seen first), then canonicalise the member order."""
        index: dict[MemberId, int] = {}
        debtors: list[int] = []
        creditors: list[int] = []
        amounts: list[int] = []
        for item in obligations:
            if isinstance(item, Obligation):
                debtor, creditor, amount = item.debtor, item.creditor, item.amount
            else:
                debtor, creditor, amount = item
            for member in (debtor, creditor):
                if isinstance(member, bool) or not isinstance(member, str | int):
                    raise ValueError(f"member id {member!r} is not a str or int")
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise ValueError(f"amount {amount!r} is not an int (minor units)")
            debtors.append(index.setdefault(debtor, len(index)))
            creditors.append(index.setdefault(creditor, len(index)))
            amounts.append(amount)
        return cls.from_indexed(
            tuple(index),
            np.asarray(debtors, dtype=np.int64),
            np.asarray(creditors, dtype=np.int64),
            _exact_int64(amounts),
        )

    @classmethod
    def from_indexed(
        cls,
        members: Sequence[MemberId],
        debtor: IntArray,
        creditor: IntArray,
        amount: IntArray,
    ) -> ObligationTable:
        """Validate index arrays over `members` (any order) and canonicalise the order.

        Raises ValueError on a self-obligation, a negative amount, an unknown index,
        duplicate member ids or a total beyond int64's safe range.
        """
        count = len(members)
        canonical = _is_canonical(members)  # strictly increasing: no duplicates either
        if not canonical and len(set(members)) != count:
            raise ValueError("duplicate member ids")
        debtor = np.asarray(debtor, dtype=np.int64)
        creditor = np.asarray(creditor, dtype=np.int64)
        amount = np.asarray(amount, dtype=np.int64)
        if not (debtor.shape == creditor.shape == amount.shape) or debtor.ndim != 1:
            raise ValueError("debtor, creditor and amount must be 1-d arrays of one length")
        if len(amount):
            if int(debtor.min()) < 0 or int(creditor.min()) < 0:
                raise ValueError("negative member index")
            if int(debtor.max()) >= count or int(creditor.max()) >= count:
                raise ValueError("member index out of range")
            selfs = np.flatnonzero(debtor == creditor)
            if len(selfs):
                row = int(selfs[0])
                raise ValueError(f"obligation {row}: debtor and creditor are the same member")
            negatives = np.flatnonzero(amount < 0)
            if len(negatives):
                raise ValueError(f"obligation {int(negatives[0])}: negative amount")
            if int(amount.max()) * len(amount) >= MAX_TOTAL and (
                sum(int(x) for x in amount) >= MAX_TOTAL
            ):
                raise ValueError("total amount too large (must be below 2**62 minor units)")
        if canonical:  # e.g. the CSV reader's, already sorted: keep the arrays
            return cls(members=tuple(members), debtor=debtor, creditor=creditor, amount=amount)
        order = sorted(range(count), key=lambda i: member_sort_key(members[i]))
        rank = np.empty(count, dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(count, dtype=np.int64)
        return cls(
            members=tuple(members[i] for i in order),
            debtor=rank[debtor] if count else debtor,
            creditor=rank[creditor] if count else creditor,
            amount=amount,
        )


def _is_canonical(members: Sequence[MemberId]) -> bool:
    """All str (for str, `member_sort_key` order is plain str order) and increasing."""
    return all(type(m) is str for m in members) and all(
        map(operator.lt, members, itertools.islice(members, 1, None))
    )


def _exact_int64(values: Sequence[int]) -> IntArray:
    try:
        return np.asarray(values, dtype=np.int64)
    except OverflowError as exc:
        raise ValueError("an amount does not fit in 64 bits") from exc
