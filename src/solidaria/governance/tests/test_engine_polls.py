"""Score, dot and time polls as tables."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from solidaria.governance.engine.decisions import DecisionError
from solidaria.governance.engine.preference_polls import (
    Availability,
    DotSettings,
    ScoreAggregate,
    ScoreSettings,
    dot_vote,
    score_vote,
    time_poll,
)

OPTIONS = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("settings", "ballots", "winners", "top_total"),
    [
        (ScoreSettings(), [{"a": 5, "b": 3}, {"a": 1, "b": 4, "c": 5}], ("b",), F(7)),
        # mean over voters who scored; blank not counted as minimum
        (
            ScoreSettings(aggregate=ScoreAggregate.MEAN, missing_is_minimum=False),
            [{"a": 5, "b": 3}, {"b": 4, "c": 5}],
            ("a", "c"),
            F(5),
        ),
        # mean with blanks as minimum: c = (0 + 5) / 2
        (
            ScoreSettings(aggregate=ScoreAggregate.MEAN),
            [{"a": 5, "b": 3}, {"b": 4, "c": 5}],
            ("b",),
            F(7, 2),
        ),
        (ScoreSettings(), [{"a": 2, "b": 2, "c": 2}], ("a", "b", "c"), F(2)),
    ],
)
def test_score_table(
    settings: ScoreSettings, ballots: list[dict[str, int]], winners: tuple[str, ...], top_total: F
) -> None:
    result = score_vote(OPTIONS, ballots, settings)
    assert result.winners == winners
    assert result.ranking[0].total == top_total
    assert result.is_tie == (len(winners) > 1)


@pytest.mark.parametrize(
    ("ballot", "message"),
    [({"a": 6}, "outside 0..5"), ({"z": 1}, "unknown option"), ({"a": -1}, "outside")],
)
def test_score_bad_ballots(ballot: dict[str, int], message: str) -> None:
    with pytest.raises(DecisionError, match=message):
        score_vote(OPTIONS, [ballot])


@pytest.mark.parametrize(
    ("settings", "ballots", "winners", "totals"),
    [
        (DotSettings(3, 3), [{"a": 3}, {"b": 2, "c": 1}], ("a",), [3, 2, 1]),
        (DotSettings(3, 2), [{"a": 2, "b": 1}, {"b": 1, "c": 2}], ("a", "b", "c"), [2, 2, 2]),
        (DotSettings(2, 1), [{"a": 1, "b": 1}, {"a": 1, "b": 1}], ("a", "b"), [2, 2, 0]),
    ],
)
def test_dot_table(
    settings: DotSettings,
    ballots: list[dict[str, int]],
    winners: tuple[str, ...],
    totals: list[int],
) -> None:
    result = dot_vote(OPTIONS, ballots, settings)
    assert [int(t.total) for t in result.ranking] == totals
    assert result.winners == winners
    assert result.is_tie == (len(winners) > 1)


@pytest.mark.parametrize(
    ("settings", "ballot", "message"),
    [
        (DotSettings(3, 3), {"a": 4}, "allowed 0..3"),
        (DotSettings(3, 2), {"a": 2, "b": 2}, "4 dots, only 3"),
        (DotSettings(3, 3), {"x": 1}, "unknown option"),
    ],
)
def test_dot_bad_ballots(settings: DotSettings, ballot: dict[str, int], message: str) -> None:
    with pytest.raises(DecisionError, match=message):
        dot_vote(OPTIONS, [ballot], settings)


Y, M, N = Availability.YES, Availability.IF_NEED_BE, Availability.NO


@pytest.mark.parametrize(
    ("responses", "best"),
    [
        ([{"mon": Y, "tue": M}, {"mon": N, "tue": Y}], "tue"),  # 2 available beats 1
        ([{"mon": Y, "tue": M}, {"mon": M, "tue": Y}, {"mon": Y, "tue": M}], "mon"),  # more yes
        ([{"mon": Y, "tue": Y}], "mon"),  # full tie: earliest offered
        ([{"mon": N, "tue": N}], None),  # nobody can come
        ([], None),
    ],
)
def test_time_poll_table(responses: list[dict[str, Availability]], best: str | None) -> None:
    assert time_poll(["mon", "tue"], responses).best == best


def test_time_poll_unknown_slot() -> None:
    with pytest.raises(DecisionError, match="unknown slot"):
        time_poll(["mon"], [{"sun": Y}])


def test_duplicate_options_are_refused() -> None:
    with pytest.raises(DecisionError, match="distinct"):
        score_vote(["a", "a"], [])
