"""faults.point: a listed name SIGKILLs the process, any other name returns at once.

Each case runs Python in a subprocess with its own environment (the names are read once
per process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3]
CODE = (
    "from solidaria.core import faults\n"
    "faults.point('cc.other')\n"
    "print('before', flush=True)\n"
    "faults.point('cc.validated')\n"
    "print('after', flush=True)\n"
)


def run(faults: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOLIDARIA_FAULTS"}
    env["PYTHONPATH"] = str(SRC)
    if faults is not None:
        env["SOLIDARIA_FAULTS"] = faults
    return subprocess.run(
        [sys.executable, "-c", CODE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_listed_point_kills_the_process_with_sigkill() -> None:
    result = run("cc.before_relay, cc.validated")
    assert result.returncode == -signal.SIGKILL
    assert result.stdout == "before\n"


def test_unlisted_points_return() -> None:
    for faults in (None, "", "cc.before_relay", "cc.validated_not"):
        result = run(faults)
        assert result.returncode == 0, (faults, result.stderr)
        assert result.stdout == "before\nafter\n"
