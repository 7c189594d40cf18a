"""`solidaria clear OBLIGATIONS.csv [--decimals 2] [--out RESULT.csv] [--json]`.

Clears a CSV of obligations without any database: prints a summary (or, with --json,
the summary as JSON with integer totals) and, with --out, writes the obligations with
their `setoff,remaining` columns. Bad input exits with status 2 and says the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.clearing.engine import clear
from solidaria.clearing.engine.csvio import MAX_DECIMALS, CsvError, read_obligations, write_result
from solidaria.clearing.engine.summary import ClearingSummary

TOP_CYCLES = 5
# Walk steps spent looking for cycles to show: bounds the time at any size (~0.1 s; on
# big inputs the largest cycles found so far, not provably the largest: see engine.cycles).
CYCLE_STEPS = 50_000


class Command(BaseCommand):
    help = "Clear a CSV of obligations (debtor,creditor,amount) optimally; no database."
    requires_system_checks: list[str] = []  # type: ignore[assignment]
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("obligations", help="CSV with the header debtor,creditor,amount")
        parser.add_argument(
            "--decimals", type=int, default=2, help="decimal places of amounts (default 2)"
        )
        parser.add_argument("--out", help="write the obligations with setoff,remaining here")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        decimals: int = options["decimals"]
        if not 0 <= decimals <= MAX_DECIMALS:
            raise CommandError(f"--decimals must be between 0 and {MAX_DECIMALS}", returncode=2)
        source = Path(options["obligations"])
        try:
            table = read_obligations(source, decimals=decimals)
        except CsvError as exc:
            raise CommandError(f"{source}: {exc}", returncode=2) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{source}: cannot read: {exc}", returncode=2) from None
        result = clear(table)
        if options["out"]:
            try:
                write_result(result, Path(options["out"]), decimals=decimals)
            except OSError as exc:
                raise CommandError(f"cannot write {options['out']}: {exc}", returncode=2) from None
        summary = result.summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict()))
            return
        self.stdout.write(_human(summary, decimals, options["out"]))
        for cycle in result.top_cycles(TOP_CYCLES, max_steps=CYCLE_STEPS):
            chain = " → ".join(str(m) for m in (*cycle.members, cycle.members[0]))
            self.stdout.write(f"  cycle {_money(cycle.amount, decimals)}: {chain}")


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
