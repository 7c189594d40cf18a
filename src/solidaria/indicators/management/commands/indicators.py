"""`solidaria indicators ecg RATINGS.json --facts FACTS.json [...]`, `... catalogue check FILE`.

The verb lives in `solidaria.clifront.indicators` (pure, also run without Django by
`solidaria indicators`); this command calls the same front-end for `manage.py indicators`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.clifront import CliError
from solidaria.clifront import indicators as front


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
