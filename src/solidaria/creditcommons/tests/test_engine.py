"""Exact conversion, rates, addresses and signatures (pure; property tests)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidaria.core.errors import ValidationFailed
from solidaria.creditcommons import engine

rates = st.builds(Fraction, st.integers(1, 1000), st.integers(1, 1000))


def test_rates_are_exact_fractions() -> None:
    assert engine.parse_rate("2") == Fraction(2)
    assert engine.parse_rate("1/2") == Fraction(1, 2)
    assert engine.parse_rate(" 3 / 4 ") == Fraction(3, 4)
    assert engine.parse_rate("1.25") == Fraction(5, 4)
    for bad in ("0", "1/0", "-1", "abc", "1e3", ""):
        with pytest.raises(ValidationFailed):
            engine.parse_rate(bad)


def test_conversion_at_the_harness_rates() -> None:
    # 10.00 of A at 2 is 20.00 of T, which is 40.00 of B at 1/2
    trunk = engine.to_trunk(1000, Fraction(2), 2, 2)
    assert trunk == 2000 and engine.to_leaf(trunk, Fraction(1, 2), 2, 2) == 4000
    # decimal places differ: 90 minutes (exponent 0) at 1/3 unit each → 30.00 (exponent 2)
    assert engine.to_trunk(90, Fraction(1, 3), 0, 2) == 3000


def test_an_inexact_conversion_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValidationFailed, match="exactly"):
        engine.to_trunk(1001, Fraction(1, 2), 2, 2)
    with pytest.raises(ValidationFailed, match="exactly"):
        engine.to_leaf(1, Fraction(3), 2, 2)


@given(amount=st.integers(1, 10**12), rate=rates, le=st.integers(0, 4), te=st.integers(0, 4))
def test_a_conversion_is_exact_or_refused_and_round_trips(
    amount: int, rate: Fraction, le: int, te: int
) -> None:
    exact = Fraction(amount) * rate * Fraction(10) ** (te - le)
    try:
        trunk = engine.to_trunk(amount, rate, le, te)
    except ValidationFailed:
        assert exact.denominator != 1
        return
    assert trunk == exact and engine.to_leaf(trunk, rate, le, te) == amount


@given(amounts=st.lists(st.integers(1, 10**9), max_size=20), rate=rates)
def test_the_link_invariant_holds_for_any_accepted_payments(
    amounts: list[int], rate: Fraction
) -> None:
    """Leaf balance × rate == −(the trunk's account for the leaf), for every payment that
    converts exactly (the others are refused, so they move nothing on either side)."""
    leaf = trunk = 0
    for amount in amounts:
        try:
            converted = engine.to_trunk(amount, rate, 2, 2)
        except ValidationFailed:
            continue
        leaf += amount
        trunk -= converted
    assert leaf * rate == -trunk


def test_addresses() -> None:
    assert str(engine.parse_address("B/bob")) == "B/bob"
    assert engine.parse_address("/B/bob/").member == "bob"
    assert engine.is_remote_address("B/bob") and not engine.is_remote_address("bob")
    for bad in ("bob", "B/", "/bob", "a//c", "b c/bob", "a/b c/bob"):
        with pytest.raises(ValidationFailed):
            engine.parse_address(bad)


def test_signatures_cover_method_path_time_and_body_within_a_window() -> None:
    sig = engine.signature("s3cret", "POST", "/cc/validate", "1000", b'{"a":1}')
    ok = engine.signature_ok("s3cret", "POST", "/cc/validate", "1000", b'{"a":1}', sig, now=1010)
    assert ok
    for args in (
        ("other", "POST", "/cc/validate", "1000", b'{"a":1}'),
        ("s3cret", "GET", "/cc/validate", "1000", b'{"a":1}'),
        ("s3cret", "POST", "/cc/commit", "1000", b'{"a":1}'),
        ("s3cret", "POST", "/cc/validate", "1001", b'{"a":1}'),
        ("s3cret", "POST", "/cc/validate", "1000", b'{"a":2}'),
    ):
        assert not engine.signature_ok(*args, sig, now=1010)
    assert not engine.signature_ok(
        "s3cret", "POST", "/cc/validate", "1000", b'{"a":1}', sig, now=1000 + 301
    )
    assert not engine.signature_ok("s3cret", "POST", "/cc/validate", "x", b"", sig, now=0)
