"""The `solidaria` command: every verb is a Django management command.

`solidaria pb count FILE.pb` runs the `pb` command with `count FILE.pb`, and so on.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaria.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["solidaria", *args])


if __name__ == "__main__":
    main()
