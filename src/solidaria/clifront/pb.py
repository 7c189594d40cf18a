"""`solidaria pb count FILE.pb [--rule RULE] [--exclusive ID,ID ...] [--json]`.

Prints the funded project ids, one a line, in the order the rule funded them; ``--json`` prints
``{"selected": [...], "cost": N}`` (N in the file's own units: ``1925834.77`` for a file with
decimal costs, which also adds ``"decimals": 2``). RULE defaults to the file's META ``rule``; a
file whose rule is ``unknown`` is counted with ``greedy`` (said on stderr). ``--exclusive``
(repeatable) gives one group of mutually exclusive projects for ``greedy-exclusive``; without
any, ``greedy-exclusive`` counts as plain greedy and says so on stderr. Bad input exits with
status 2.
"""

from __future__ import annotations

import json
import os
import sys
from argparse import ArgumentParser
from collections.abc import Mapping
from functools import partial
from typing import Any

from solidaria.budgeting.engine.pabulib import PabulibError, parse
from solidaria.clifront import CliError, Writer, run_verb
from solidaria.core.textfiles import TextFileError, read_text

HELP = "Participatory budgeting tools on Pabulib files (subcommand: count)."
RULE_NAMES = (
    "equalshares",
    "equalshares-comparison",
    "equalshares/add1",
    "equalshares/add1-comparison",
    "greedy",
    "greedy-exclusive",
    "greedy-no-skip",
    "greedy-threshold",
    "mes",
    "mes/add1",
    "mes/add1-exhaustive",
    "mes/add1-pabutools",
    "phragmen",
)
"""`rules.RULES`, sorted (a test keeps them equal): known before the engine is imported."""
SINGLE_RUN = frozenset({"mes", "equalshares", "equalshares-comparison"})
"""Rules that run MES once: too few rational operations to repay importing gmpy2."""


def add_arguments(parser: ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    c = sub.add_parser("count", help="count the votes of a .pb file")
    c.add_argument("file", help="path to a Pabulib .pb file")
    c.add_argument(
        "--rule", help=f"one of: {', '.join(RULE_NAMES)} (default: the file's META rule)"
    )
    c.add_argument(
        "--exclusive",
        action="append",
        metavar="ID,ID[,ID...]",
        help="greedy-exclusive: one group of mutually exclusive project ids (repeatable)",
    )
    c.add_argument("--json", action="store_true", help='print {"selected": [...], "cost": N}')


def _groups(raw: list[str] | None) -> list[tuple[str, ...]]:
    groups = []
    for text in raw or []:
        ids = tuple(t.strip() for t in text.split(",") if t.strip())
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise CliError(f"--exclusive {text!r}: name at least two different project ids")
        groups.append(ids)
    return groups


def run(
    options: Mapping[str, Any], stdout: Writer, stderr: Writer, *, whole_process: bool = False
) -> None:
    """The verb. `whole_process`: this process does nothing else (the console script), so
    the engine may be imported in its lightest form for the rule."""
    rule: str | None = options.get("rule")
    path = options["file"]
    if rule is not None and rule not in RULE_NAMES:
        raise CliError(f"unknown rule {rule!r}; known rules: {', '.join(RULE_NAMES)}")
    groups = _groups(options.get("exclusive"))
    try:
        instance, profile = parse(read_text(path), voters=False)
    except (PabulibError, TextFileError) as exc:
        raise CliError(f"{path}: {exc}") from None
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from None
    if not profile.ballots:
        raise CliError(f"{path}: VOTES section: no votes to count")
    if rule is None and instance.rule in ("", "unknown"):
        stderr.write(f"META rule is {instance.rule or 'missing'!r}: counting with greedy")
        rule = "greedy"
    name = (rule or instance.rule).strip()
    if groups and name != "greedy-exclusive":
        raise CliError(f"--exclusive applies to the rule greedy-exclusive, not {name!r}")
    if name == "greedy-exclusive" and not groups:
        stderr.write(
            "greedy-exclusive without exclusion groups: counted as plain greedy "
            "(the file does not list them; pass each group with --exclusive ID,ID)"
        )
    if whole_process and name in SINGLE_RUN and _RATIONAL not in sys.modules:
        os.environ["SOLIDARIA_RATIONALS"] = "fraction"
    from solidaria.budgeting.engine.rules import UnknownRuleError, count

    try:
        outcome = count(instance, profile, rule, exclusive_groups=groups, explain=False)
    except UnknownRuleError as exc:
        raise CliError(f"{exc} (pass --rule)") from exc
    except ValueError as exc:
        raise CliError(f"--exclusive: {exc}") from exc
    if options.get("json"):
        data: dict[str, Any] = outcome.as_json()
        if instance.decimals:
            data["cost"] = _Raw(instance.amount_text(outcome.cost))
            data["decimals"] = instance.decimals
        stdout.write(_dumps(data))
    else:
        for pid in outcome.selected:
            stdout.write(pid)


class _Raw(str):
    """A JSON number written exactly as given (a decimal amount, never through a float)."""


def _dumps(data: dict[str, Any]) -> str:
    raw = {k: v for k, v in data.items() if isinstance(v, _Raw)}
    text = json.dumps({k: (f"\0{k}\0" if k in raw else v) for k, v in data.items()})
    for k, v in raw.items():
        text = text.replace(json.dumps(f"\0{k}\0"), v)
    return text


_RATIONAL = "solidaria.budgeting.engine.rational"


def main(argv: list[str] | None = None, prog: str = "solidaria pb") -> int:
    args = sys.argv[1:] if argv is None else argv
    return run_verb(
        add_arguments,
        partial(run, whole_process=True),
        prog=prog,
        description=HELP,
        argv=args,
    )
