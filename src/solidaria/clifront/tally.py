"""`solidaria tally BALLOTS.blt --method stv-scottish|meek|irv [--json]`.

Prints the elected candidates in order of election, one per line, each followed by its
affiliation in brackets when the file names one (`Jane DOE (Some Party)`); with --json prints
{"elected": [...], "rounds": [...]}, plus "elected_affiliations" (aligned with "elected",
"" for none) when the file names affiliations. Pure: no database. Bad input exits 2.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from solidaria.clifront import CliError, Writer, run_verb
from solidaria.core.textfiles import TextFileError
from solidaria.governance.engine.blt import BltError, read_blt
from solidaria.governance.engine.stv import METHODS, TieBreak, count

HELP = "Count a BLT ballot file by Scottish STV, Meek STV or instant runoff."


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("ballots", metavar="BALLOTS.blt")
    parser.add_argument("--method", choices=METHODS, default="stv-scottish")
    parser.add_argument("--json", action="store_true", help="print elected and rounds")
    parser.add_argument(
        "--tie-order",
        default="",
        help="lot drawn in advance: BLT candidate numbers, comma-separated (default: file order)",
    )


def run(options: Mapping[str, Any], stdout: Writer, stderr: Writer) -> None:
    path = options["ballots"]
    try:
        election = read_blt(path, strict=True)
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from None
    except (BltError, TextFileError) as exc:
        raise CliError(f"{path}: {exc}") from None
    tie_break = TieBreak(_tie_order(options.get("tie_order") or "", len(election.candidates)))
    result = count(election, options.get("method") or "stv-scottish", tie_break=tie_break)
    hopefuls = election.hopefuls
    if len(hopefuls) <= election.seats and set(result.elected) == set(hopefuls):
        stderr.write(
            f"{path}: {election.seats} seats for {len(hopefuls)} candidates: "
            "every candidate is elected"
        )
    party = election.affiliations
    if options.get("json"):
        data = result.as_json()
        if any(party):
            data["elected_affiliations"] = [party[c] for c in result.elected]
        stdout.write(json.dumps(data, ensure_ascii=False))
        return
    for c in result.elected:
        name = election.candidates[c]
        stdout.write(f"{name} ({party[c]})" if party and party[c] else name)


def _tie_order(text: str, n: int) -> tuple[int, ...]:
    if not text.strip():
        return ()
    try:
        order = tuple(int(t) - 1 for t in text.split(","))
    except ValueError:
        raise CliError(f"--tie-order: {text!r} is not a list of numbers") from None
    if sorted(order) != list(range(n)):
        raise CliError(f"--tie-order: must list each of 1..{n} once")
    return order


def main(argv: list[str] | None = None, prog: str = "solidaria tally") -> int:
    args = sys.argv[1:] if argv is None else argv
    return run_verb(add_arguments, run, prog=prog, description=HELP, argv=args)
