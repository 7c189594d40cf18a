"""Results of a ranked-ballot count: who was elected, in order, and every round.

Vote values are exact `Fraction`s. Scottish STV values are multiples of 10^-5 and Meek
values multiples of 10^-9, so `CountResult.places` digits print them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

ENGINE_VERSION = "1"


def format_value(value: Fraction, places: int) -> str:
    """Decimal string of `value` with `places` digits, truncated toward zero."""
    scale = 10**places
    units = value.numerator * scale // value.denominator
    if value < 0 and (value.numerator * scale) % value.denominator:
        units += 1
    sign = "-" if units < 0 else ""
    units = abs(units)
    if places == 0:
        return f"{sign}{units}"
    return f"{sign}{units // scale}.{units % scale:0{places}d}"


@dataclass(frozen=True, slots=True)
class Round:
    """One stage of a count.

    `action` is "first-preferences", "surplus", "exclusion" (STV and IRV) or
    "iteration" (Meek: keep factors converged, then someone elected or excluded).
    `candidate` is whose surplus or papers moved. `totals` are the continuing and elected
    candidates' votes at the end of the round; `transfers` the votes each received in it.
    `elected` and `excluded` are decided at the end of the round, and `note` says why.
    """

    number: int
    action: str
    candidate: int | None
    totals: Mapping[int, Fraction]
    transfers: Mapping[int, Fraction] = field(default_factory=dict)
    non_transferable: Fraction = Fraction(0)
    elected: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()
    note: str = ""
    quota: Fraction | None = None
    keep_factors: Mapping[int, Fraction] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CountResult:
    """Outcome of a count: `elected` in order of election, `rounds` in order, settings used."""

    method: str
    candidates: tuple[str, ...]
    seats: int
    elected: tuple[int, ...]
    rounds: tuple[Round, ...]
    quota: Fraction | None
    places: int
    parameters: Mapping[str, str] = field(default_factory=dict)
    engine_version: str = ENGINE_VERSION

    @property
    def elected_names(self) -> list[str]:
        return [self.candidates[c] for c in self.elected]

    def stage_elected(self, candidate: int) -> int | None:
        """Round at the end of which `candidate` was elected, or None."""
        for r in self.rounds:
            if candidate in r.elected:
                return r.number
        return None

    def stage_excluded(self, candidate: int) -> int | None:
        """Round at the end of which `candidate` was chosen for exclusion, or None.

        In Scottish STV and IRV the papers of a candidate excluded at the end of round k
        move in round k + 1.
        """
        for r in self.rounds:
            if candidate in r.excluded:
                return r.number
        return None

    def round_as_json(self, r: Round) -> dict[str, Any]:
        name = self.candidates
        fmt = self.places
        return {
            "round": r.number,
            "action": r.action,
            "candidate": None if r.candidate is None else name[r.candidate],
            "quota": None if r.quota is None else format_value(r.quota, fmt),
            "totals": {name[c]: format_value(v, fmt) for c, v in r.totals.items()},
            "transfers": {name[c]: format_value(v, fmt) for c, v in r.transfers.items()},
            "non_transferable": format_value(r.non_transferable, fmt),
            "keep_factors": {name[c]: format_value(v, fmt) for c, v in r.keep_factors.items()},
            "elected": [name[c] for c in r.elected],
            "excluded": [name[c] for c in r.excluded],
            "note": r.note,
        }

    def as_json(self) -> dict[str, Any]:
        """Exactly `{"elected": [...], "rounds": [...]}` with names and decimal strings."""
        return {
            "elected": self.elected_names,
            "rounds": [self.round_as_json(r) for r in self.rounds],
        }
