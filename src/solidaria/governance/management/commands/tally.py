"""`solidaria tally BALLOTS.blt --method stv-scottish|meek|irv [--json]`.

Prints the elected candidates in order of election, one per line; with --json prints
exactly {"elected": [...], "rounds": [...]}. Pure: no database. Bad input exits 2.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from solidaria.governance.engine.blt import BltError, read_blt
from solidaria.governance.engine.stv import METHODS, TieBreak, count


class Command(BaseCommand):
    help = "Count a BLT ballot file by Scottish STV, Meek STV or instant runoff."
    requires_system_checks: list[str] = []  # type: ignore[assignment]
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("ballots", metavar="BALLOTS.blt")
        parser.add_argument("--method", choices=METHODS, default="stv-scottish")
        parser.add_argument("--json", action="store_true", help="print elected and rounds")
        parser.add_argument(
            "--tie-order",
            default="",
            help="lot drawn in advance: BLT candidate numbers, comma-separated "
            "(default: file order)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["ballots"]
        try:
            election = read_blt(path)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}", returncode=2) from None
        except BltError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from None
        tie_break = TieBreak(_tie_order(options["tie_order"], len(election.candidates)))
        result = count(election, options["method"], tie_break=tie_break)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            for name in result.elected_names:
                self.stdout.write(name)


def _tie_order(text: str, n: int) -> tuple[int, ...]:
    if not text.strip():
        return ()
    try:
        order = tuple(int(t) - 1 for t in text.split(","))
    except ValueError:
        raise CommandError(
            f"--tie-order: {text!r} is not a list of numbers", returncode=2
        ) from None
    if sorted(order) != list(range(n)):
        raise CommandError(f"--tie-order: must list each of 1..{n} once", returncode=2)
    return order
