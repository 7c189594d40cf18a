"""ECG Matrix 5.0 points: 20 topics sharing 1,000 points by weight, aspects sharing a topic.

The official calculator's algorithm (balance.sheet.ts / ratings updater), exactly:

1. A topic's weight is the user's when they chose one (`weight_chosen`), else the one
   the company facts give (`ecg_facts.topic_weights`). A stakeholder group's weight is
   the user's when given, else the facts' (`ecg_facts.stakeholder_weights`).
2. A topic's maximum is 1000 x (stakeholder weight x topic weight) over the sum of
   that product for all topics, so the maxima always add up to 1000.
3. A positive aspect's maximum is its topic's maximum times the aspect's weight over
   the weights of the topic's positive aspects; it earns maximum x estimation / 10
   (estimations 0..10).
4. A negative aspect earns estimation x topic maximum / 50 (estimations -200..0), so
   at worst -4 x the topic's maximum; its "maximum" is that worst case.
5. A topic's points are the sum of its aspects' points; the balance's total is the sum
   of the topics', floored at -3600.

Arithmetic is exact (`Fraction`); rounding is for display only (`display`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from solidaria.indicators.engine.ecg_facts import (
    CompanyFacts,
    FactsAnalysis,
    RiskTables,
    analyse_facts,
    stakeholder_weights,
    topic_weights,
)

__all__ = [
    "ENGINE_VERSION",
    "AspectSpec",
    "Balance",
    "BalanceError",
    "RatingInput",
    "RatingResult",
    "TopicSpec",
    "compute_balance",
    "display",
]

ENGINE_VERSION = "1"
TOTAL_POINTS = 1000
TOTAL_FLOOR = -3600
POSITIVE_RANGE = (Fraction(0), Fraction(10))
NEGATIVE_RANGE = (Fraction(-200), Fraction(0))
NEGATIVE_DIVISOR = 50


class BalanceError(ValueError):
    """Ratings the calculation refuses; `code` names the rating at fault, if any."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message if code is None else f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class AspectSpec:
    code: str
    name: str
    is_positive: bool
    weight: Fraction = Fraction(1)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    code: str  # "A1": stakeholder letter + value number
    name: str
    aspects: tuple[AspectSpec, ...]

    @property
    def stakeholder(self) -> str:
        return self.code[0]


@dataclass(frozen=True, slots=True)
class RatingInput:
    """What a person enters for a topic or aspect; unset fields keep the catalogue's."""

    code: str
    estimation: Fraction = Fraction(0)  # aspects only; a topic's is computed
    weight: Fraction | None = None
    weight_chosen: bool = False  # topics: the user's weight replaces the derived one


@dataclass(frozen=True, slots=True)
class RatingResult:
    code: str
    name: str
    is_topic: bool
    is_positive: bool
    weight: Fraction
    weight_chosen: bool
    estimation: Fraction  # a topic's: points / maximum (0 when its maximum is 0)
    points: Fraction
    max_points: Fraction


@dataclass(frozen=True, slots=True)
class Balance:
    """Every topic (followed by its aspects) in catalogue order, and the total."""

    ratings: tuple[RatingResult, ...]
    total: Fraction
    stakeholder_weights: Mapping[str, Fraction]
    stakeholder_weights_chosen: frozenset[str]
    analysis: FactsAnalysis
    derived_topic_weights: Mapping[str, Fraction]
    engine_version: str = ENGINE_VERSION

    @property
    def topics(self) -> tuple[RatingResult, ...]:
        return tuple(r for r in self.ratings if r.is_topic)

    def rating(self, code: str) -> RatingResult:
        for r in self.ratings:
            if r.code == code:
                return r
        raise KeyError(code)


def _check_weight(value: Fraction, what: str, code: str) -> None:
    if value < 0:
        raise BalanceError(f"{what} weight {value} is negative", code)


def _inputs_by_code(
    topics: Sequence[TopicSpec], inputs: Sequence[RatingInput]
) -> dict[str, RatingInput]:
    known: dict[str, AspectSpec | None] = {}
    for t in topics:
        known[t.code] = None
        for a in t.aspects:
            known[a.code] = a
    by_code: dict[str, RatingInput] = {}
    for item in inputs:
        if item.code not in known:
            raise BalanceError("not a topic or aspect of this catalogue", item.code)
        if item.code in by_code:
            raise BalanceError("rated twice", item.code)
        aspect = known[item.code]
        if aspect is not None:
            low, high = POSITIVE_RANGE if aspect.is_positive else NEGATIVE_RANGE
            if not low <= item.estimation <= high:
                kind = "positive" if aspect.is_positive else "negative"
                raise BalanceError(
                    f"estimation {item.estimation} is outside {low}..{high} for a {kind} aspect",
                    item.code,
                )
        if item.weight is not None:
            _check_weight(item.weight, "the", item.code)
        by_code[item.code] = item
    return by_code


def compute_balance(
    topics: Sequence[TopicSpec],
    inputs: Sequence[RatingInput],
    facts: CompanyFacts,
    tables: RiskTables,
    *,
    chosen_stakeholder_weights: Mapping[str, Fraction] | None = None,
    legacy_world_ituc: bool = True,
) -> Balance:
    """The balance's points (see the module docstring for the rules)."""
    by_code = _inputs_by_code(topics, inputs)
    analysis = analyse_facts(facts, tables, legacy_world_ituc=legacy_world_ituc)
    derived = topic_weights(facts, analysis)
    chosen = dict(chosen_stakeholder_weights or {})
    groups = {t.stakeholder for t in topics}
    for group, value in chosen.items():
        if group not in groups:
            raise BalanceError("not a stakeholder group of this catalogue", group)
        _check_weight(value, "stakeholder", group)
    group_weights = {**stakeholder_weights(analysis), **chosen}

    weights: dict[str, tuple[Fraction, bool]] = {}
    for t in topics:
        item = by_code.get(t.code)
        if item is not None and item.weight_chosen and item.weight is not None:
            weights[t.code] = (item.weight, True)
        else:
            weights[t.code] = (derived.get(t.code, Fraction(1)), False)
    shares = {
        t.code: group_weights.get(t.stakeholder, Fraction(1)) * weights[t.code][0] for t in topics
    }
    share_sum = sum(shares.values(), Fraction(0))
    if share_sum == 0:
        raise BalanceError("every topic weighs 0: there is nothing to share 1000 points among")

    ratings: list[RatingResult] = []
    for t in topics:
        topic_max = shares[t.code] / share_sum * TOTAL_POINTS
        positive_weight = sum(
            (_aspect_weight(a, by_code) for a in t.aspects if a.is_positive), Fraction(0)
        )
        aspects: list[RatingResult] = []
        for a in t.aspects:
            item = by_code.get(a.code)
            estimation = item.estimation if item is not None else Fraction(0)
            weight = _aspect_weight(a, by_code)
            if a.is_positive:
                max_points = (
                    topic_max * weight / positive_weight if positive_weight else Fraction(0)
                )
                points = max_points * estimation / 10
            else:
                max_points = NEGATIVE_RANGE[0] * topic_max / NEGATIVE_DIVISOR
                points = estimation * topic_max / NEGATIVE_DIVISOR
            chosen_weight = bool(item is not None and item.weight_chosen)
            aspects.append(
                RatingResult(
                    code=a.code,
                    name=a.name,
                    is_topic=False,
                    is_positive=a.is_positive,
                    weight=weight,
                    weight_chosen=chosen_weight,
                    estimation=estimation,
                    points=points,
                    max_points=max_points,
                )
            )
        topic_points = sum((r.points for r in aspects), Fraction(0))
        weight, was_chosen = weights[t.code]
        ratings.append(
            RatingResult(
                code=t.code,
                name=t.name,
                is_topic=True,
                is_positive=True,
                weight=weight,
                weight_chosen=was_chosen,
                estimation=topic_points / topic_max if topic_max > 0 else Fraction(0),
                points=topic_points,
                max_points=topic_max,
            )
        )
        ratings.extend(aspects)
    total = max(sum((r.points for r in ratings if r.is_topic), Fraction(0)), Fraction(TOTAL_FLOOR))
    return Balance(
        ratings=tuple(ratings),
        total=total,
        stakeholder_weights={g: group_weights.get(g, Fraction(1)) for g in sorted(groups)},
        stakeholder_weights_chosen=frozenset(chosen),
        analysis=analysis,
        derived_topic_weights=derived,
    )


def _aspect_weight(aspect: AspectSpec, by_code: Mapping[str, RatingInput]) -> Fraction:
    item = by_code.get(aspect.code)
    return item.weight if item is not None and item.weight is not None else aspect.weight


def display(value: Fraction, places: int = 2) -> Decimal:
    """`value` rounded half away from zero to `places` decimals, for showing only."""
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)
