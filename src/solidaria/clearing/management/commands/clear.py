"""`solidaria clear OBLIGATIONS.csv [--decimals 2] [--out RESULT.csv] [--json]`.

The verb lives in `solidaria.clifront.clear` (pure, also run without Django by
`solidaria clear`); this command calls the same front-end for `manage.py clear`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.clifront import CliError
from solidaria.clifront import clear as front
from solidaria.clifront.clear import CYCLE_STEPS, TOP_CYCLES

__all__ = ["CYCLE_STEPS", "TOP_CYCLES", "Command"]


class Command(BaseCommand):
    help = front.HELP
    requires_system_checks: list[str] = []  # type: ignore[assignment]
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        front.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            front.run(options, self.stdout, self.stderr)
        except CliError as exc:
            raise CommandError(str(exc), returncode=exc.returncode) from None
