"""Named fault points: kill this process at a precise step (federation harness only).

Used only by the federation harness (`bench/federation_test.py`, `make federation-test`):
it starts an instance with ``SOLIDARIA_FAULTS=cc.validated`` (comma-separated names) and
the code that reaches ``faults.point("cc.validated")`` dies at once with SIGKILL, as a
machine losing power would: no exception, no ``finally``, no commit. Without the variable
(every real deployment) a point is a set lookup and returns at once.
"""

from __future__ import annotations

import os
import signal
from functools import cache

ENV = "SOLIDARIA_FAULTS"


@cache
def _armed() -> frozenset[str]:
    """The fault names of this process, read once from the environment."""
    raw = os.environ.get(ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def point(name: str) -> None:
    """SIGKILL the current process when `name` is listed in $SOLIDARIA_FAULTS."""
    if name in _armed():
        os.kill(os.getpid(), signal.SIGKILL)
