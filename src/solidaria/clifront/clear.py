"""`solidaria clear OBLIGATIONS.csv [--decimals 2] [--out RESULT.csv] [--json]`.

Clears a CSV of obligations without any database: prints a summary (or, with --json,
the summary as JSON with integer totals) and, with --out, writes the obligations with
their `setoff,remaining` columns. Bad input exits with status 2 and says the line.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from solidaria.clifront import CliError, Writer, run_verb

if TYPE_CHECKING:
    from solidaria.clearing.engine.summary import ClearingSummary

HELP = "Clear a CSV of obligations (debtor,creditor,amount) optimally; no database."
TOP_CYCLES = 5
# Walk steps spent looking for cycles to show: bounds the time at any size (~0.1 s; on
# big inputs the largest cycles found so far, not provably the largest: see engine.cycles).
CYCLE_STEPS = 50_000


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("obligations", help="CSV with the header debtor,creditor,amount")
    parser.add_argument(
        "--decimals", type=int, default=2, help="decimal places of amounts (default 2)"
    )
    parser.add_argument("--out", help="write the obligations with setoff,remaining here")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(options: Mapping[str, Any], stdout: Writer, stderr: Writer) -> None:
    # the engine (numpy, OR-Tools) is imported here, after `main` turned the collector off
    from solidaria.clearing.engine.csvio import (
        MAX_DECIMALS,
        CsvError,
        read_obligations,
        write_result,
    )
    from solidaria.clearing.engine.solver import clear
    from solidaria.core.textfiles import TextFileError, decode

    decimals: int = options.get("decimals", 2)
    if not 0 <= decimals <= MAX_DECIMALS:
        raise CliError(f"--decimals must be between 0 and {MAX_DECIMALS}")
    source = _as_path(options["obligations"])
    try:
        with open(source, "rb") as handle:
            data = handle.read()
        if not data.isascii() or b"\x00" in data:  # ASCII without NUL is plain UTF-8 text
            decode(data)  # names the line of UTF-16, binary or non-UTF-8 text
        table = read_obligations(data, decimals=decimals)
    except (CsvError, TextFileError) as exc:
        raise CliError(f"{source}: {exc}") from None
    except OSError as exc:
        raise CliError(f"{source}: cannot read: {exc.strerror}") from None
    if not len(table):
        raise CliError(f"{source}: line 1: no obligations to clear (the file has only a header)")
    result = clear(table)
    out = options.get("out")
    if out:
        try:
            write_result(result, _as_path(out), decimals=decimals)
        except OSError as exc:
            raise CliError(f"cannot write {out}: {exc}") from None
    summary = result.summary()
    if options.get("json"):
        stdout.write(json.dumps(summary.as_dict()))
        return
    stdout.write(_human(summary, decimals, out))
    for cycle in result.top_cycles(TOP_CYCLES, max_steps=CYCLE_STEPS):
        chain = " → ".join(str(m) for m in (*cycle.members, cycle.members[0]))
        stdout.write(f"  cycle {_money(cycle.amount, decimals)}: {chain}")


def _as_path(name: str) -> str:
    """`str(Path(name))` (the file opened and the name shown in messages), without importing
    pathlib when the name is already in that form (its usual case)."""
    parts = name.split("/")
    rest = parts[1:] if parts[0] == "" else parts
    if os.sep == "/" and rest and "" not in rest and "." not in rest:
        return name
    from pathlib import Path

    return str(Path(name))


def _money(value: int, decimals: int) -> str:
    if decimals == 0:
        return str(value)
    whole, frac = divmod(value, 10**decimals)
    return f"{whole:,}.{frac:0{decimals}d}"


def _human(summary: ClearingSummary, decimals: int, out: str | None) -> str:
    lines = [
        f"obligations cleared: {summary.percent_display} % of the debt",
        f"  total debt        {_money(summary.total_debt, decimals):>20}",
        f"  set off           {_money(summary.total_setoff, decimals):>20}",
        f"  remaining (gross) {_money(summary.gross_debt_after, decimals):>20}",
        f"  net debt          {_money(summary.net_debt_before, decimals):>20}"
        " (unchanged by clearing)",
        f"  members touched   {summary.members_touched:>20,} of {summary.member_count:,}",
    ]
    if out:
        lines.append(f"wrote {out} (adds setoff,remaining)")
    lines.append(f"top cycles (at most {TOP_CYCLES}):")
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "solidaria clear") -> int:
    """The process's entry point (`solidaria clear ...`).

    The cyclic garbage collector is off while the verb runs: the imports and the run make
    many objects and no garbage cycles worth collecting, and each pass over them costs
    time (a few per cent of a 94k-obligation run). At the end every object left is frozen
    (`gc.freeze`), so the collection at interpreter exit has nothing to walk either.
    OpenBLAS gets one thread unless the caller chose otherwise (see below)."""
    args = sys.argv[1:] if argv is None else argv
    # numpy's OpenBLAS starts one busy-waiting thread per core at import; clearing does no
    # linear algebra, and those threads cost ~0.1 s of CPU per run (measured, issue 14)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run_verb(add_arguments, run, prog=prog, description=HELP, argv=args)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
