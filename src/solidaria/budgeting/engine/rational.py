"""Exact rationals: gmpy2's ``mpq`` when installed (about ten times faster), else ``Fraction``.

Both are exact; results handed out of the engine are always ``fractions.Fraction``.
``SOLIDARIA_RATIONALS=fraction`` in the environment (read at import) chooses ``Fraction``
even with gmpy2 installed: importing gmpy2 costs about 0.1 s, more than it saves on a single
MES run, which does only a few rational operations per funded project (the `pb count` command
line sets it for those rules).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from typing import Any, cast

Q: Callable[..., Fraction] = Fraction
FAST = False
if os.environ.get("SOLIDARIA_RATIONALS", "") != "fraction":
    try:  # pragma: no cover - depends on the environment
        from gmpy2 import mpq as _mpq

        Q = cast(Callable[..., Fraction], _mpq)
        FAST = True
    except ImportError:  # pragma: no cover
        pass


def to_fraction(value: Any) -> Fraction:
    """Any exact rational (mpq, Fraction, int) as a ``Fraction``."""
    if isinstance(value, Fraction):
        return value
    return Fraction(int(value.numerator), int(value.denominator))
