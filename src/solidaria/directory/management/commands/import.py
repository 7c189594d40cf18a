"""`solidaria import directory --format coopsuk|dotcoop|susy|murmurations FILE`

Prints the report (read / created / updated / merged / unchanged / rejected, then each
rejected row with its line and reason, at most 50; when one reason rejected most rows,
one line says so with the fix) and exits 0; `--json` prints it as JSON. A
progress bar goes to stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from solidaria.directory.importers import FORMATS
from solidaria.directory.importers.pipeline import run_import


class Command(BaseCommand):
    help = "Import data into Solidaria (subcommand: directory)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        directory = sub.add_parser("directory", help="Import organisations into the directory")
        directory.add_argument("--format", required=True, choices=sorted(FORMATS))
        directory.add_argument("file", type=Path)
        directory.add_argument("--json", action="store_true", help="print the report as JSON")
        directory.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        with tqdm(
            desc=f"import {options['format']}",
            unit="row",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            report = run_import(path=path, fmt=options["format"], progress=bar.update)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(report.summary())
        for line in report.rejection_lines():
            self.stdout.write(line)
