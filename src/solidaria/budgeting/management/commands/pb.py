"""`solidaria pb count FILE.pb [--rule RULE] [--exclusive ID,ID ...] [--json]`.

The verb lives in `solidaria.clifront.pb` (pure, also run without Django by
`solidaria pb`); this command calls the same front-end for `manage.py pb`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.clifront import CliError
from solidaria.clifront import pb as front


class Command(BaseCommand):
    help = front.HELP
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        front.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            front.run(options, self.stdout, self.stderr)
        except CliError as exc:
            raise CommandError(str(exc), returncode=exc.returncode) from None
