"""Polls that rank options: score (range) voting, dot voting and time polls.

Each returns every option's total and the winners; a tie returns all tied options as
winners with `is_tie` set, and the caller applies its tie rule (e.g. discuss again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from solidaria.governance.engine.decisions import DecisionError


@dataclass(frozen=True, slots=True)
class OptionTotal:
    option: str
    total: Fraction
    count: int


@dataclass(frozen=True, slots=True)
class PollResult:
    """Options best first (ties in the order given), the winners and the settings used."""

    ranking: tuple[OptionTotal, ...]
    winners: tuple[str, ...]
    is_tie: bool
    settings: Mapping[str, str]


def _rank(
    options: Sequence[str], totals: Mapping[str, Fraction], counts: Mapping[str, int]
) -> tuple[tuple[OptionTotal, ...], tuple[str, ...]]:
    order = {o: i for i, o in enumerate(options)}
    ranking = tuple(
        sorted(
            (OptionTotal(o, totals[o], counts[o]) for o in options),
            key=lambda t: (-t.total, order[t.option]),
        )
    )
    if not ranking:
        return (), ()
    best = ranking[0].total
    return ranking, tuple(t.option for t in ranking if t.total == best)


def _check_options(options: Sequence[str]) -> None:
    if len(set(options)) != len(options):
        raise DecisionError("options must be distinct")
    if not options:
        raise DecisionError("a poll needs at least one option")


# --- score (range) voting -----------------------------------------------------------


class ScoreAggregate(StrEnum):
    SUM = "sum"
    MEAN = "mean"


@dataclass(frozen=True, slots=True)
class ScoreSettings:
    """Scores are whole numbers in [minimum, maximum]. `aggregate` sum ranks by total
    score; mean ranks by average over the voters who scored the option. With
    `missing_is_minimum`, an option a voter left blank counts as the minimum score."""

    minimum: int = 0
    maximum: int = 5
    aggregate: ScoreAggregate = ScoreAggregate.SUM
    missing_is_minimum: bool = True


def score_vote(
    options: Sequence[str],
    ballots: Sequence[Mapping[str, int]],
    settings: ScoreSettings = ScoreSettings(),
) -> PollResult:
    _check_options(options)
    if settings.minimum > settings.maximum:
        raise DecisionError("score minimum above maximum")
    sums = dict.fromkeys(options, 0)
    counts = dict.fromkeys(options, 0)
    for i, ballot in enumerate(ballots, start=1):
        for option, score in ballot.items():
            if option not in sums:
                raise DecisionError(f"ballot {i}: unknown option {option!r}")
            if not settings.minimum <= score <= settings.maximum:
                raise DecisionError(
                    f"ballot {i}: score {score} for {option!r} outside "
                    f"{settings.minimum}..{settings.maximum}"
                )
        for option in options:
            if option in ballot:
                sums[option] += ballot[option]
                counts[option] += 1
            elif settings.missing_is_minimum:
                sums[option] += settings.minimum
                counts[option] += 1
    if settings.aggregate == ScoreAggregate.SUM:
        totals = {o: Fraction(sums[o]) for o in options}
    else:
        totals = {o: Fraction(sums[o], counts[o]) if counts[o] else Fraction(0) for o in options}
    ranking, winners = _rank(options, totals, counts)
    return PollResult(
        ranking,
        winners,
        len(winners) > 1,
        {
            "rule": "score",
            "range": f"{settings.minimum}..{settings.maximum}",
            "aggregate": settings.aggregate.value,
            "missing_is_minimum": str(settings.missing_is_minimum),
        },
    )


# --- dot voting ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DotSettings:
    """Each voter places up to `dots` dots, at most `max_per_option` on one option."""

    dots: int = 3
    max_per_option: int = 3


def dot_vote(
    options: Sequence[str],
    ballots: Sequence[Mapping[str, int]],
    settings: DotSettings = DotSettings(),
) -> PollResult:
    _check_options(options)
    totals = dict.fromkeys(options, 0)
    voters = dict.fromkeys(options, 0)
    for i, ballot in enumerate(ballots, start=1):
        for option, dots in ballot.items():
            if option not in totals:
                raise DecisionError(f"ballot {i}: unknown option {option!r}")
            if not 0 <= dots <= settings.max_per_option:
                raise DecisionError(
                    f"ballot {i}: {dots} dots on {option!r}, allowed 0..{settings.max_per_option}"
                )
        if sum(ballot.values()) > settings.dots:
            raise DecisionError(f"ballot {i}: {sum(ballot.values())} dots, only {settings.dots}")
        for option, dots in ballot.items():
            totals[option] += dots
            voters[option] += 1 if dots else 0
    ranking, winners = _rank(options, {o: Fraction(v) for o, v in totals.items()}, voters)
    return PollResult(
        ranking,
        winners,
        len(winners) > 1,
        {"rule": "dot", "dots": str(settings.dots), "max_per_option": str(settings.max_per_option)},
    )


# --- time poll ----------------------------------------------------------------------


class Availability(StrEnum):
    YES = "yes"
    IF_NEED_BE = "if-need-be"
    NO = "no"


@dataclass(frozen=True, slots=True)
class SlotTotal:
    slot: str
    yes: int
    if_need_be: int
    no: int


@dataclass(frozen=True, slots=True)
class TimePollResult:
    """Best slot: most people available (yes + if-need-be), then most yes, then earliest
    in the order the slots were offered. `ranking` lists every slot in that order."""

    ranking: tuple[SlotTotal, ...]
    best: str | None
    settings: Mapping[str, str]


def time_poll(
    slots: Sequence[str], responses: Sequence[Mapping[str, Availability]]
) -> TimePollResult:
    _check_options(slots)
    tally = {s: [0, 0, 0] for s in slots}
    column = {Availability.YES: 0, Availability.IF_NEED_BE: 1, Availability.NO: 2}
    for i, response in enumerate(responses, start=1):
        for slot, answer in response.items():
            if slot not in tally:
                raise DecisionError(f"response {i}: unknown slot {slot!r}")
            tally[slot][column[Availability(answer)]] += 1
    order = {s: i for i, s in enumerate(slots)}
    ranking = tuple(
        sorted(
            (SlotTotal(s, *tally[s]) for s in slots),
            key=lambda t: (-(t.yes + t.if_need_be), -t.yes, order[t.slot]),
        )
    )
    top = ranking[0]
    best = top.slot if top.yes + top.if_need_be > 0 else None
    return TimePollResult(
        ranking, best, {"rule": "most available, then most yes, then earliest offered"}
    )
