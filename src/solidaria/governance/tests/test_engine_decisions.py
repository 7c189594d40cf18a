"""Decision rules as tables: each setting of a proposal, consent, consensus, advice."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from solidaria.governance.engine.decisions import (
    Base,
    Comparison,
    ConsensusProcess,
    ConsentPosition,
    ConsentResponse,
    DecisionError,
    Outcome,
    Position,
    ProposalSettings,
    RoundOutcome,
    Stance,
    TieRule,
    consensus_round,
    decide_consent,
    decide_proposal,
    record_advice,
)

S = ProposalSettings


@pytest.mark.parametrize(
    ("settings", "yes", "no", "abstain", "electorate", "outcome"),
    [
        # --- quorum base: electorate share -------------------------------------------
        (S(quorum=F(1, 2)), 3, 1, 1, 10, Outcome.PASSED),  # 5 of 10 take part: quorum met
        (S(quorum=F(1, 2)), 3, 1, 0, 10, Outcome.NO_QUORUM),  # 4 of 10
        # --- quorum base: votes cast (absolute minimum number of votes) ---------------
        (S(quorum=F(5), quorum_base=Base.VOTES_CAST), 3, 1, 1, 100, Outcome.PASSED),
        (S(quorum=F(6), quorum_base=Base.VOTES_CAST), 3, 1, 1, 100, Outcome.NO_QUORUM),
        # --- abstentions toward quorum -------------------------------------------------
        (S(quorum=F(1, 2), abstentions_count_toward_quorum=True), 2, 1, 2, 10, Outcome.PASSED),
        (
            S(quorum=F(1, 2), abstentions_count_toward_quorum=False),
            2,
            1,
            2,
            10,
            Outcome.NO_QUORUM,
        ),
        # --- abstentions in the threshold denominator ------------------------------------
        (S(abstentions_in_threshold_base=False), 3, 2, 4, 10, Outcome.PASSED),  # 3 > 2.5
        (S(abstentions_in_threshold_base=True), 3, 2, 4, 10, Outcome.FAILED),  # 3 > 4.5 no
        # --- threshold base: electorate (absolute majority) ------------------------------
        (S(threshold_base=Base.ELECTORATE), 5, 1, 0, 10, Outcome.FAILED),  # 5 > 5 no
        (S(threshold_base=Base.ELECTORATE), 6, 1, 0, 10, Outcome.PASSED),
        # --- comparison > vs >= at exactly the threshold ---------------------------------
        (S(threshold=F(2, 3), comparison=Comparison.GREATER), 4, 2, 0, 6, Outcome.FAILED),
        (S(threshold=F(2, 3), comparison=Comparison.GREATER_OR_EQUAL), 4, 2, 0, 6, Outcome.PASSED),
        (S(threshold=F(2, 3), comparison=Comparison.GREATER_OR_EQUAL), 3, 2, 0, 6, Outcome.FAILED),
        # --- tie rule (yes == no) applies before the threshold ----------------------------
        (S(tie_rule=TieRule.FAILS), 2, 2, 1, 5, Outcome.FAILED),
        (S(tie_rule=TieRule.FURTHER_DISCUSSION), 2, 2, 1, 5, Outcome.FURTHER_DISCUSSION),
        (S(tie_rule=TieRule.CHAIR_DECIDES), 2, 2, 1, 5, Outcome.AWAITING_CHAIR),
        (
            S(tie_rule=TieRule.FURTHER_DISCUSSION, comparison=Comparison.GREATER_OR_EQUAL),
            2,
            2,
            0,
            5,
            Outcome.FURTHER_DISCUSSION,
        ),
        # --- edge: nobody voted yes or no --------------------------------------------------
        (S(), 0, 0, 3, 5, Outcome.FAILED),
        (S(threshold=F(0), comparison=Comparison.GREATER_OR_EQUAL), 0, 0, 0, 5, Outcome.FAILED),
    ],
)
def test_proposal_table(
    settings: ProposalSettings, yes: int, no: int, abstain: int, electorate: int, outcome: Outcome
) -> None:
    result = decide_proposal(
        yes=yes, no=no, abstain=abstain, electorate=electorate, settings=settings
    )
    assert result.outcome == outcome, result.reason
    assert result.settings == settings


@pytest.mark.parametrize(
    ("chair_vote", "outcome"), [(True, Outcome.PASSED), (False, Outcome.FAILED)]
)
def test_chair_casting_vote_decides_a_tie(chair_vote: bool, outcome: Outcome) -> None:
    result = decide_proposal(
        yes=3,
        no=3,
        abstain=0,
        electorate=9,
        settings=S(tie_rule=TieRule.CHAIR_DECIDES),
        chair_vote=chair_vote,
    )
    assert result.outcome == outcome
    assert result.is_tie


def test_result_writes_down_requirements_and_settings() -> None:
    settings = S(quorum=F(1, 3), threshold=F(2, 3), comparison=Comparison.GREATER_OR_EQUAL)
    result = decide_proposal(yes=8, no=4, abstain=3, electorate=30, settings=settings)
    assert (result.quorum_required, result.threshold_required) == (F(10), F(8))
    assert result.outcome == Outcome.PASSED
    data = result.as_dict()
    assert data["outcome"] == "passed"
    assert data["settings"] == {
        "quorum": "1/3",
        "quorum_base": "electorate",
        "abstentions_count_toward_quorum": True,
        "threshold": "2/3",
        "threshold_base": "votes-cast",
        "abstentions_in_threshold_base": False,
        "comparison": ">=",
        "tie_rule": "further-discussion",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"yes": -1, "no": 0, "abstain": 0, "electorate": 3}, "yes must not be negative"),
        ({"yes": 2, "no": 2, "abstain": 0, "electorate": 3}, "exceed the electorate"),
    ],
)
def test_proposal_bad_counts_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(DecisionError, match=message):
        decide_proposal(settings=S(), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quorum": F(-1)}, "quorum must not be negative"),
        ({"quorum": F(3, 2)}, "above 1"),
        ({"threshold": F(3, 2)}, "threshold must be between"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, F], message: str) -> None:
    with pytest.raises(DecisionError, match=message):
        ProposalSettings(**kwargs)  # type: ignore[arg-type]


CONSENT, ASIDE, OBJECT = (
    ConsentPosition.CONSENT,
    ConsentPosition.STAND_ASIDE,
    ConsentPosition.OBJECT,
)


@pytest.mark.parametrize(
    ("responses", "is_passed", "objections"),
    [
        ([], True, 0),  # silence is consent
        ([("ana", CONSENT, ""), ("ben", ASIDE, "")], True, 0),
        ([("ana", CONSENT, ""), ("ben", OBJECT, "too costly")], False, 1),
        ([("ana", OBJECT, "unsafe"), ("ben", OBJECT, "too costly")], False, 2),
    ],
)
def test_consent_table(
    responses: list[tuple[str, ConsentPosition, str]], is_passed: bool, objections: int
) -> None:
    result = decide_consent([ConsentResponse(m, p, r) for m, p, r in responses])
    assert (result.is_passed, len(result.objections)) == (is_passed, objections)


def test_consent_objection_without_reason_is_refused() -> None:
    with pytest.raises(DecisionError, match="objection by ben needs a reason"):
        decide_consent([ConsentResponse("ben", OBJECT, "  ")])


def test_consent_twice_is_refused() -> None:
    with pytest.raises(DecisionError, match="responded twice"):
        decide_consent([ConsentResponse("ben", CONSENT), ConsentResponse("ben", CONSENT)])


@pytest.mark.parametrize(
    ("stances", "outcome"),
    [
        ([], RoundOutcome.NO_POSITIONS),
        ([Stance.AGREE, Stance.ABSTAIN], RoundOutcome.CONSENSUS),
        ([Stance.AGREE, Stance.DISAGREE], RoundOutcome.CONSENSUS_WITH_RESERVATIONS),
        ([Stance.AGREE, Stance.DISAGREE, Stance.BLOCK], RoundOutcome.BLOCKED),
    ],
)
def test_consensus_round_table(stances: list[Stance], outcome: RoundOutcome) -> None:
    positions = [Position(f"m{i}", s, "reason") for i, s in enumerate(stances)]
    assert consensus_round(1, "paint it green", positions).outcome == outcome


def test_consensus_process_follows_its_last_round() -> None:
    blocked = consensus_round(1, "v1", [Position("ana", Stance.BLOCK, "no budget")])
    agreed = consensus_round(2, "v2", [Position("ana", Stance.AGREE)])
    assert not ConsensusProcess((blocked,)).is_agreed
    assert ConsensusProcess((blocked, agreed)).is_agreed
    assert agreed.summary == "1 agree"


def test_block_without_reason_is_refused() -> None:
    with pytest.raises(DecisionError, match="block by ana needs a reason"):
        consensus_round(1, "v1", [Position("ana", Stance.BLOCK)])


def test_advice_record_needs_a_decision_and_cannot_block() -> None:
    advice = [Position("ben", Stance.DISAGREE, "wait a month")]
    record = record_advice(
        decider="ana", question="new van?", advice=advice, decision="buy", rationale="urgent"
    )
    assert record.advice[0].comment == "wait a month"
    with pytest.raises(DecisionError, match="stated decision"):
        record_advice(decider="ana", question="q", advice=[], decision=" ", rationale="")
    with pytest.raises(DecisionError, match="cannot block"):
        record_advice(
            decider="ana",
            question="q",
            advice=[Position("ben", Stance.BLOCK, "x")],
            decision="d",
            rationale="",
        )
