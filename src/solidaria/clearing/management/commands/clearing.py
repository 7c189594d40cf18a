"""`solidaria clearing apply-due`: decide every proposed clearing run whose deadline has
passed (applied, lapsed, or recomputed when an obligation changed). Run it from cron,
e.g. hourly; the `apply_due_runs` task does the same."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from solidaria.clearing import services


class Command(BaseCommand):
    help = "Clearing runs: decide the proposals whose deadline has passed."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("apply-due", help="apply (or lapse) proposals past their deadline")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.runs_apply_due()
        self.stdout.write(
            f"applied: {len(report.applied)} {report.applied}; "
            f"lapsed: {len(report.lapsed)} {report.lapsed}; "
            f"recomputed: {len(report.recomputed)} {report.recomputed}"
        )
