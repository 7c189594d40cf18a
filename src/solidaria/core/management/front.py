"""The Django side of a `solidaria.clifront` verb: `manage.py pb` runs the same
`add_arguments` and `run` as `solidaria pb`, so both take the same flags, print the same
output and exit with the same status."""

from __future__ import annotations

from argparse import ArgumentParser
from types import ModuleType
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError

from solidaria.clifront import CliError


class FrontCommand(BaseCommand):
    """Subclass with `front = <the clifront module>` and `help = front.HELP`. The verbs
    need no database, so neither system checks nor migration checks run first."""

    front: ClassVar[ModuleType]
    requires_system_checks: list[str] = []  # type: ignore[assignment]
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        self.front.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.front.run(options, self.stdout, self.stderr)
        except CliError as exc:
            raise CommandError(str(exc), returncode=exc.returncode) from None
