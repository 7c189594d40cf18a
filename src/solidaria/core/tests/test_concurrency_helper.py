"""The race helpers release every call at once, keep each call's outcome in its place, keep
a refusal as the error itself, and let any other exception fail the test."""

from __future__ import annotations

import threading

import pytest

from solidaria.core.errors import Conflict, ValidationFailed
from solidaria.core.tests.concurrency import race, race_each


def test_every_call_is_released_at_once_and_keeps_its_place() -> None:
    together = threading.Barrier(4, timeout=5)  # broken unless all four run at the same time

    def work(i: int) -> int:
        together.wait()
        if i == 2:
            raise Conflict("Someone was first.")
        return i * 10

    outcomes = race_each(work, workers=4)

    assert outcomes[:2] == [0, 10] and outcomes[3] == 30
    assert isinstance(outcomes[2], Conflict) and outcomes[2].message == "Someone was first."


def test_race_gives_the_results_and_the_sentences_of_the_refusals() -> None:
    def refused() -> int:
        raise ValidationFailed("Too much.")

    results, errors = race(lambda: 1, refused, lambda: 2)

    assert sorted(results) == [1, 2]
    assert errors == ["Too much."]


def test_an_exception_that_is_not_a_refusal_fails_the_test() -> None:
    def broken(i: int) -> int:
        if i == 1:
            raise KeyError("bug")
        return i

    with pytest.raises(KeyError, match="bug"):
        race_each(broken, workers=3)
