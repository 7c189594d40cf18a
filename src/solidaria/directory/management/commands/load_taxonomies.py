"""`solidaria load_taxonomies [DIR]`: load the ESSGlobal SKOS taxonomies (idempotent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from solidaria.directory.taxonomy import load_taxonomies


class Command(BaseCommand):
    help = "Load the ESSGlobal taxonomies shipped in data/essglobal (or those in DIR)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", nargs="?", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(load_taxonomies(options["directory"])))
