"""Exact rationals: gmpy2's ``mpq`` when installed (about ten times faster), else ``Fraction``.

Both are exact; results handed out of the engine are always ``fractions.Fraction``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, cast

try:  # pragma: no cover - depends on the environment
    from gmpy2 import mpq as _mpq

    Q = cast(Callable[..., Fraction], _mpq)
    FAST = True
except ImportError:  # pragma: no cover
    Q = Fraction
    FAST = False


def to_fraction(value: Any) -> Fraction:
    """Any exact rational (mpq, Fraction, int) as a ``Fraction``."""
    if isinstance(value, Fraction):
        return value
    return Fraction(int(value.numerator), int(value.denominator))
