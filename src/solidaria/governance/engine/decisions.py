"""Decision rules for proposals: yes/no/abstain with quorum and threshold, consent, and
advice or consensus rounds. Score, dot and time polls are in `preference_polls`.

Every rule takes counts or positions plus an explicit settings object and returns a
result that carries those settings, so a stored outcome says how it was reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any


class DecisionError(ValueError):
    """Input a decision rule refuses (negative counts, an objection without a reason, ...)."""


class Base(StrEnum):
    """What a share is measured against."""

    ELECTORATE = "electorate"
    VOTES_CAST = "votes-cast"


class Comparison(StrEnum):
    GREATER = ">"
    GREATER_OR_EQUAL = ">="


class TieRule(StrEnum):
    """What an exact tie (as many yes as no) means."""

    FAILS = "fails"
    FURTHER_DISCUSSION = "further-discussion"
    CHAIR_DECIDES = "chair-decides"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NO_QUORUM = "no-quorum"
    FURTHER_DISCUSSION = "further-discussion"
    AWAITING_CHAIR = "awaiting-chair"


@dataclass(frozen=True, slots=True)
class ProposalSettings:
    """How a yes/no/abstain proposal is decided; stored with every result.

    * Quorum: the proposal is valid only if participants >= `quorum` x the quorum base.
      `quorum_base` is the electorate (a share of all members, e.g. 1/3) or `votes-cast`,
      in which case `quorum` is read as an absolute minimum number of votes
      (e.g. Fraction(10) = at least ten votes). Participants are yes + no, plus
      abstentions when `abstentions_count_toward_quorum`. A quorum is always "at least".
    * Threshold: yes must exceed (`>`) or reach (`>=`) `threshold` x the threshold base.
      With `threshold_base` votes-cast the base is yes + no, plus abstentions when
      `abstentions_in_threshold_base` (then an abstention acts like a no); with
      electorate it is the whole electorate (an absolute majority).
    * Tie: as many yes as no (with at least one vote). `tie_rule` decides it *before* the
      threshold test: fails; further discussion (Karrot's rule, nothing is decided); or
      the chair decides (the chair's casting vote if given, else "awaiting-chair").
    """

    quorum: Fraction = Fraction(0)
    quorum_base: Base = Base.ELECTORATE
    abstentions_count_toward_quorum: bool = True
    threshold: Fraction = Fraction(1, 2)
    threshold_base: Base = Base.VOTES_CAST
    abstentions_in_threshold_base: bool = False
    comparison: Comparison = Comparison.GREATER
    tie_rule: TieRule = TieRule.FURTHER_DISCUSSION

    def __post_init__(self) -> None:
        if self.quorum < 0:
            raise DecisionError(f"quorum must not be negative, got {self.quorum}")
        if self.quorum_base == Base.ELECTORATE and self.quorum > 1:
            raise DecisionError(f"quorum share of the electorate above 1: {self.quorum}")
        if not 0 <= self.threshold <= 1:
            raise DecisionError(f"threshold must be between 0 and 1, got {self.threshold}")

    def as_dict(self) -> dict[str, str | bool]:
        return {k: (str(v) if not isinstance(v, bool) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class ProposalResult:
    """Outcome of a proposal with the counts, what was required, and the settings used."""

    outcome: Outcome
    yes: int
    no: int
    abstain: int
    electorate: int
    participants: int
    quorum_required: Fraction
    is_quorum_met: bool
    threshold_required: Fraction
    is_tie: bool
    reason: str
    settings: ProposalSettings

    def as_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "settings"}
        data = {k: (str(v) if isinstance(v, Fraction | StrEnum) else v) for k, v in data.items()}
        data["settings"] = self.settings.as_dict()
        return data


def decide_proposal(
    *,
    yes: int,
    no: int,
    abstain: int,
    electorate: int,
    settings: ProposalSettings,
    chair_vote: bool | None = None,
) -> ProposalResult:
    """Decide a yes/no/abstain proposal; counts may be weighted votes (integers)."""
    for label, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        if value < 0:
            raise DecisionError(f"{label} must not be negative, got {value}")
    if yes + no + abstain > electorate:
        raise DecisionError(f"{yes + no + abstain} votes exceed the electorate of {electorate}")
    participants = yes + no + (abstain if settings.abstentions_count_toward_quorum else 0)
    if settings.quorum_base == Base.ELECTORATE:
        quorum_required = settings.quorum * electorate
    else:
        quorum_required = settings.quorum
    is_quorum_met = participants >= quorum_required
    if settings.threshold_base == Base.ELECTORATE:
        base = electorate
    else:
        base = yes + no + (abstain if settings.abstentions_in_threshold_base else 0)
    threshold_required = settings.threshold * base
    is_tie = yes == no and yes > 0

    def result(outcome: Outcome, reason: str) -> ProposalResult:
        return ProposalResult(
            outcome=outcome,
            yes=yes,
            no=no,
            abstain=abstain,
            electorate=electorate,
            participants=participants,
            quorum_required=quorum_required,
            is_quorum_met=is_quorum_met,
            threshold_required=threshold_required,
            is_tie=is_tie,
            reason=reason,
            settings=settings,
        )

    if not is_quorum_met:
        return result(
            Outcome.NO_QUORUM, f"{participants} took part, quorum needs {quorum_required}"
        )
    if is_tie:
        if settings.tie_rule == TieRule.FAILS:
            return result(Outcome.FAILED, f"tie {yes}-{no}: a tie fails")
        if settings.tie_rule == TieRule.FURTHER_DISCUSSION:
            return result(Outcome.FURTHER_DISCUSSION, f"tie {yes}-{no}: further discussion")
        if chair_vote is None:
            return result(Outcome.AWAITING_CHAIR, f"tie {yes}-{no}: the chair decides")
        return result(
            Outcome.PASSED if chair_vote else Outcome.FAILED,
            f"tie {yes}-{no}: chair's casting vote {'yes' if chair_vote else 'no'}",
        )
    if settings.comparison == Comparison.GREATER:
        is_passed = base > 0 and yes > threshold_required
    else:
        is_passed = base > 0 and yes >= threshold_required
    op = settings.comparison.value
    return result(
        Outcome.PASSED if is_passed else Outcome.FAILED,
        f"yes {yes} {op if is_passed else 'not ' + op} {threshold_required} "
        f"({settings.threshold} of {base} {settings.threshold_base.value})",
    )


# --- consent ---------------------------------------------------------------------------


class ConsentPosition(StrEnum):
    CONSENT = "consent"
    STAND_ASIDE = "stand-aside"
    OBJECT = "object"


@dataclass(frozen=True, slots=True)
class ConsentResponse:
    member: str
    position: ConsentPosition
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ConsentResult:
    """A consent decision passes unless someone objects; objections carry their reasons."""

    is_passed: bool
    consents: int
    stand_asides: int
    objections: tuple[ConsentResponse, ...]
    reason: str


def decide_consent(responses: Sequence[ConsentResponse]) -> ConsentResult:
    """Pass unless at least one objection; an objection without a reason is refused.

    Silence is consent: members who did not respond do not block. Standing aside is
    recorded but does not block. One response per member.
    """
    seen: set[str] = set()
    for r in responses:
        if r.member in seen:
            raise DecisionError(f"{r.member} responded twice")
        seen.add(r.member)
        if r.position == ConsentPosition.OBJECT and not r.reason.strip():
            raise DecisionError(f"objection by {r.member} needs a reason")
    objections = tuple(r for r in responses if r.position == ConsentPosition.OBJECT)
    consents = sum(1 for r in responses if r.position == ConsentPosition.CONSENT)
    asides = sum(1 for r in responses if r.position == ConsentPosition.STAND_ASIDE)
    if objections:
        who = ", ".join(f"{o.member}: {o.reason.strip()}" for o in objections)
        return ConsentResult(False, consents, asides, objections, f"objections - {who}")
    return ConsentResult(True, consents, asides, (), "no objections")


# --- advice and consensus rounds ----------------------------------------------------


class Stance(StrEnum):
    AGREE = "agree"
    ABSTAIN = "abstain"
    DISAGREE = "disagree"
    BLOCK = "block"


class RoundOutcome(StrEnum):
    CONSENSUS = "consensus"
    CONSENSUS_WITH_RESERVATIONS = "consensus-with-reservations"
    BLOCKED = "blocked"
    NO_POSITIONS = "no-positions"


@dataclass(frozen=True, slots=True)
class Position:
    member: str
    stance: Stance
    comment: str = ""


@dataclass(frozen=True, slots=True)
class ConsensusRound:
    """One round of a consensus or advice process: the positions taken and its outcome."""

    number: int
    proposal: str
    positions: tuple[Position, ...]
    outcome: RoundOutcome
    summary: str


def consensus_round(number: int, proposal: str, positions: Sequence[Position]) -> ConsensusRound:
    """Record a round. Any block blocks (and needs a reason); disagreement without a block
    is consensus with reservations; only agreement and abstention is consensus."""
    seen: set[str] = set()
    for p in positions:
        if p.member in seen:
            raise DecisionError(f"{p.member} took two positions in round {number}")
        seen.add(p.member)
        if p.stance == Stance.BLOCK and not p.comment.strip():
            raise DecisionError(f"block by {p.member} needs a reason")
    stances = [p.stance for p in positions]
    counts = {s.value: stances.count(s) for s in Stance}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if not positions:
        outcome = RoundOutcome.NO_POSITIONS
    elif Stance.BLOCK in stances:
        outcome = RoundOutcome.BLOCKED
    elif Stance.DISAGREE in stances:
        outcome = RoundOutcome.CONSENSUS_WITH_RESERVATIONS
    else:
        outcome = RoundOutcome.CONSENSUS
    return ConsensusRound(number, proposal, tuple(positions), outcome, summary or "none")


@dataclass(frozen=True, slots=True)
class ConsensusProcess:
    """All rounds so far; the process has reached consensus when its last round did."""

    rounds: tuple[ConsensusRound, ...]

    @property
    def outcome(self) -> RoundOutcome:
        return self.rounds[-1].outcome if self.rounds else RoundOutcome.NO_POSITIONS

    @property
    def is_agreed(self) -> bool:
        return self.outcome in (
            RoundOutcome.CONSENSUS,
            RoundOutcome.CONSENSUS_WITH_RESERVATIONS,
        )


@dataclass(frozen=True, slots=True)
class AdviceRecord:
    """Advice process: the decider asks for advice, then decides and says why.

    Advice does not bind; the record shows who was asked, what they said and the
    decision, so the co-op can see the advice was sought and weighed.
    """

    decider: str
    question: str
    advice: tuple[Position, ...]
    decision: str
    rationale: str


def record_advice(
    *, decider: str, question: str, advice: Sequence[Position], decision: str, rationale: str
) -> AdviceRecord:
    if not decision.strip():
        raise DecisionError("an advice process ends with a stated decision")
    if any(p.stance == Stance.BLOCK for p in advice):
        raise DecisionError("advice cannot block; use a consensus round for that")
    return AdviceRecord(decider, question, tuple(advice), decision.strip(), rationale.strip())
