"""`solidaria tally BALLOTS.blt --method stv-scottish|meek|irv [--json]`.

The verb lives in `solidaria.clifront.tally` (pure, also run without Django by
`solidaria tally`); this command calls the same front-end for `manage.py tally`.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from solidaria.clifront import CliError
from solidaria.clifront import tally as front


class Command(BaseCommand):
    help = front.HELP
    requires_system_checks: list[str] = []  # type: ignore[assignment]
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        front.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            front.run(options, self.stdout, self.stderr)
        except CliError as exc:
            raise CommandError(str(exc), returncode=exc.returncode) from None
