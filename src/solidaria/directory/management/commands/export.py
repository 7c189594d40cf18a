"""`solidaria export directory --format csv|geojson|essglobal-ttl|essglobal-jsonld|murmurations --out PATH`

Exports confirmed organisations (`--all` adds proposed and archived ones)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.directory.exporters.run import FORMATS, export


class Command(BaseCommand):
    help = "Export data from Solidaria (subcommand: directory)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        directory = sub.add_parser("directory", help="Export the directory")
        directory.add_argument("--format", required=True, choices=FORMATS)
        directory.add_argument("--out", required=True, type=Path)
        directory.add_argument("--all", action="store_true", help="not only confirmed entries")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.parent.exists():
            raise CommandError(f"{out.parent}: no such directory", returncode=2)
        count = export(fmt=options["format"], out=out, everything=options["all"])
        self.stdout.write(
            json.dumps({"format": options["format"], "out": str(out), "organisations": count})
        )
