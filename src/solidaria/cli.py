"""The `solidaria` command: every verb is a Django management command.

`solidaria pb count FILE.pb` runs the `pb` command with `count FILE.pb`, and so on. The verbs
that need only a pure engine (`pb`, `clear`, `tally`, `allocate`, `indicators`) are run by
their front-ends in `solidaria.clifront` without setting Django up (the same code the management commands
call), which saves the half second Django takes to import.
"""

from __future__ import annotations

import importlib
import os
import sys

PURE_VERBS = {
    "pb": "solidaria.clifront.pb",
    "clear": "solidaria.clifront.clear",
    "tally": "solidaria.clifront.tally",
    "allocate": "solidaria.clifront.allocate",
    "indicators": "solidaria.clifront.indicators",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in PURE_VERBS:
        front = importlib.import_module(PURE_VERBS[args[0]])
        raise SystemExit(front.main(args[1:], prog=f"solidaria {args[0]}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaria.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["solidaria", *args])


if __name__ == "__main__":
    main()
