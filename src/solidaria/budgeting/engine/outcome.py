"""What a rule returns: the funded projects, their cost, and why each project won or lost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any


@dataclass(frozen=True, slots=True)
class ProjectDetail:
    """Why one project was funded or not.

    ``status`` is ``funded`` or one of ``skipped`` (did not fit the remaining budget),
    ``below_threshold``, ``withdrawn``, ``not_reached`` (greedy-no-skip stopped before it),
    ``excluded`` (greedy-exclusive conflict), ``unaffordable`` (MES: its supporters ran out of
    money), ``over_budget`` (costs more than the whole budget), ``no_support``.
    For MES: ``price`` is what each supporter paid per unit of utility (rho), ``effective_votes``
    the effective vote count (cost / payment per supporter with cost utilities), ``supporters_money``
    the supporters' remaining money when it dropped out, ``beaten_by`` the project chosen in the round
    where it was last still affordable.
    For sequential Phragmén: ``load`` is the load every supporter carried once it was bought (the
    money each of them had then spent in total on funded projects they support); ``price`` is
    not set (Phragmén has no per-voter budget).
    """

    project: str
    status: str
    reason: str
    round: int | None = None
    score: int | None = None
    price: Fraction | None = None
    effective_votes: Fraction | None = None
    supporters_money: Fraction | None = None
    beaten_by: str | None = None
    load: Fraction | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, Fraction):
                value = str(value) if value.denominator != 1 else value.numerator
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class Outcome:
    """Funded project ids in the order the rule chose them, their total cost, explanations."""

    rule: str
    selected: tuple[str, ...]
    cost: int
    budget: int
    details: Mapping[str, ProjectDetail] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"selected": list(self.selected), "cost": self.cost}
