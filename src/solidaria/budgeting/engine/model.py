"""Plain data for a participatory-budgeting election: projects, instance, ballots.

Ballots are kept compact: one tuple of project *indices* per voter (indices into
``Instance.projects``), plus a parallel tuple of points for cumulative/scoring ballots.
Ordinal ballots keep the ranking order in the tuple (first = most preferred).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

WITHDRAWN_COST = 999_999_999
"""Pabulib's sentinel cost: the project was withdrawn and cannot win."""


class BallotType(StrEnum):
    APPROVAL = "approval"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"
    ORDINAL = "ordinal"
    CHOOSE_1 = "choose-1"


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot. ``cost`` is an integer in the election's units (see
    ``Instance.decimals``); the withdrawn sentinel stays ``WITHDRAWN_COST`` at any scale."""

    id: str
    cost: int
    name: str = ""
    categories: tuple[str, ...] = ()
    beneficiaries: tuple[str, ...] = ()
    selected: int | None = None
    """The official result column of a Pabulib file (1 = funded), if present."""
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Every other PROJECTS column, verbatim (votes, score, district, latitude, ...)."""

    @property
    def is_withdrawn(self) -> bool:
        return self.cost == WITHDRAWN_COST


@dataclass(frozen=True, slots=True)
class Instance:
    """Projects in file order, the budget limit, and the META key/values verbatim.

    Budget and costs are integers in units of ``10 ** -decimals`` of the file's currency:
    a file with ``budget;1925834.77`` has ``decimals == 2`` and ``budget == 192583477``.
    """

    projects: tuple[Project, ...]
    budget: int
    meta: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    decimals: int = 0

    def meta_amount(self, key: str, *, round_up: bool = False) -> int | None:
        """A META amount (``max_sum_cost`` ...) in the instance's units, exactly: ``1000.5``
        with ``decimals == 2`` is ``100050``; finer digits round down (or up)."""
        raw = self.meta.get(key, "").strip().replace(",", ".")
        if not raw:
            return None
        value = Fraction(raw) * 10**self.decimals
        whole: int = math.ceil(value) if round_up else math.floor(value)
        return whole

    def amount_text(self, amount: int) -> str:
        """An amount in the file's own units: ``192583477`` -> ``"1925834.77"``."""
        if self.decimals == 0:
            return str(amount)
        sign = "-" if amount < 0 else ""
        whole, frac = divmod(abs(amount), 10**self.decimals)
        return f"{sign}{whole}.{frac:0{self.decimals}d}"

    def index_of(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.projects)}

    @property
    def rule(self) -> str:
        return self.meta.get("rule", "")

    def meta_int(self, key: str) -> int | None:
        """An integer META value (``min_project_score_threshold``, ``max_length`` ...)."""
        raw = self.meta.get(key, "").strip()
        if not raw:
            return None
        return int(float(raw)) if "." in raw else int(raw)


@dataclass(frozen=True, slots=True)
class Profile:
    """All ballots of one election, in compact form.

    ``ballots[v]`` lists project indices of voter ``v`` (ranking order for ordinal);
    ``points[v]`` the matching points for cumulative/scoring ballots, else ``None``.
    """

    ballot_type: BallotType
    ballots: tuple[tuple[int, ...], ...]
    points: tuple[tuple[int, ...], ...] | None = None
    voter_ids: tuple[str, ...] = ()
    voter_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    """Other VOTES columns (age, sex, ...), one value per voter, verbatim."""

    @property
    def num_voters(self) -> int:
        return len(self.ballots)

    def utilities(self, voter: int) -> tuple[tuple[int, int], ...]:
        """(project index, points) for one voter: approval = 1 point, ordinal = Borda by length.

        Ordinal follows Pabulib's scoring: the first of k ranked projects gets k points,
        the last gets 1.
        """
        ballot = self.ballots[voter]
        if self.points is not None:
            return tuple(zip(ballot, self.points[voter], strict=True))
        if self.ballot_type is BallotType.ORDINAL:
            k = len(ballot)
            return tuple((p, k - pos) for pos, p in enumerate(ballot))
        return tuple((p, 1) for p in ballot)
