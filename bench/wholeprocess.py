"""Whole-process timings: wall time of a command in a fresh child process, best of n.

What a user waits for when typing the command: interpreter start, imports, reading the
input, the work and the output. Used by the budgeting and clearing benches to compare our
console verbs with a whole-process run of the reference tool in the same run.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def console(verb: str, *args: str) -> list[str]:
    """The `solidaria` console script of this interpreter's environment, with `args`."""
    script = Path(sys.executable).with_name("solidaria")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "solidaria"]
    return [*head, verb, *args]


def through_django(verb: str, *args: str) -> list[str]:
    """The same verb run as `manage.py` runs it: Django set up first."""
    code = (
        "import sys\nfrom django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', *sys.argv[1:]])"
    )
    return [sys.executable, "-c", code, verb, *args]


@dataclass(frozen=True)
class Timing:
    best: float
    """Fastest wall time (s) of the runs: the least disturbed on a shared machine."""
    runs: list[float]
    cpu: float
    """Least CPU time (user + system, s) of the runs: barely moved by other load."""
    stdout: str

    def every(self) -> str:
        return "/".join(f"{t:.2f}" for t in self.runs)


def best_wall(commands: dict[str, list[str]], repeat: int = 3) -> dict[str, Timing]:
    """Run each command `repeat` times, alternating between them (so each sees the same load).
    A failing run raises."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "solidaria.settings"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for _ in range(repeat):
        for name, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            times[name].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                shown = " ".join(cmd)
                raise RuntimeError(f"{name}: {shown} exited {done.returncode}:\n{done.stderr}")
            outputs[name] = done.stdout
    return {
        name: Timing(min(times[name]), times[name], min(cpus[name]), outputs[name])
        for name in commands
    }
