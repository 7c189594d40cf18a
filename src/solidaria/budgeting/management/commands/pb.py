"""`solidaria pb count FILE.pb [--rule RULE] [--json]`: count a Pabulib file.

Prints the funded project ids, one a line, in the order the rule funded them; ``--json`` prints
``{"selected": [...], "cost": N}``. RULE defaults to the file's META ``rule``; a file whose rule
is ``unknown`` is counted with ``greedy`` (said on stderr). Bad input exits with status 2.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.budgeting.engine.pabulib import PabulibError, read
from solidaria.budgeting.engine.rules import RULES, UnknownRuleError, count


class Command(BaseCommand):
    help = "Participatory budgeting tools on Pabulib files (subcommand: count)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("count", help="count the votes of a .pb file")
        c.add_argument("file", help="path to a Pabulib .pb file")
        c.add_argument(
            "--rule", help=f"one of: {', '.join(sorted(RULES))} (default: the file's META rule)"
        )
        c.add_argument("--json", action="store_true", help='print {"selected": [...], "cost": N}')

    def handle(self, *args: Any, **options: Any) -> None:
        rule: str | None = options.get("rule")
        if rule is not None and rule not in RULES:
            raise CommandError(
                f"unknown rule {rule!r}; known rules: {', '.join(sorted(RULES))}", returncode=2
            )
        try:
            instance, profile = read(options["file"])
        except PabulibError as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['file']}: {exc}", returncode=2) from exc
        if rule is None and instance.rule in ("", "unknown"):
            self.stderr.write(f"META rule is {instance.rule or 'missing'!r}: counting with greedy")
            rule = "greedy"
        try:
            outcome = count(instance, profile, rule)
        except UnknownRuleError as exc:
            raise CommandError(f"{exc} (pass --rule)", returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_json()))
        else:
            for pid in outcome.selected:
                self.stdout.write(pid)
