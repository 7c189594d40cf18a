"""`solidaria import directory --format coopsuk|dotcoop|susy|murmurations FILE`

All or nothing: the first bad row (or a file that cannot be read) exits 2 with one line
naming the file, the line (or JSON path), the field and the reason, and nothing is
imported. With `--skip-bad-rows` the good rows are imported and the report lists the bad
ones. Prints the report (read / created / updated / merged / unchanged / rejected, then
each rejected row with its line and reason, at most 50; when one reason rejected most
rows, one line says so with the fix) and exits 0; `--json` prints it as JSON. A file from
which no row could be imported exits 2. A progress bar goes to stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from solidaria.directory.importers import FORMATS
from solidaria.directory.importers.pipeline import ImportRefused, ImportReport, run_import


class Command(BaseCommand):
    help = "Import data into Solidaria (subcommand: directory)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        directory = sub.add_parser("directory", help="Import organisations into the directory")
        directory.add_argument("--format", required=True, choices=sorted(FORMATS))
        directory.add_argument("file", type=Path)
        directory.add_argument("--json", action="store_true", help="print the report as JSON")
        directory.add_argument("--no-progress", action="store_true")
        directory.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="import the good rows and list the bad ones (default: a bad row stops it all)",
        )

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
            try:
                report = run_import(
                    path=path,
                    fmt=options["format"],
                    progress=bar.update,
                    skip_bad_rows=options["skip_bad_rows"],
                )
            except ImportRefused as exc:
                if exc.report is not None and not options["json"]:
                    self._print(exc.report)  # every row was rejected: say why, then fail
                raise CommandError(f"{path}: {exc.message}", returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        self._print(report)

    def _print(self, report: ImportReport) -> None:
        self.stdout.write(report.summary())
        for line in report.rejection_lines():
            self.stdout.write(line)
