"""`solidaria allocate --surplus AMOUNT --bylaws BYLAWS.json PATRONAGE.csv [--json]`.

The verb lives in `solidaria.clifront.allocate` (pure, also run without Django by
`solidaria allocate`); this command calls the same front-end for `manage.py allocate`.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from solidaria.clifront import CliError
from solidaria.clifront import allocate as front
from solidaria.clifront.allocate import as_json

__all__ = ["Command", "as_json"]


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
