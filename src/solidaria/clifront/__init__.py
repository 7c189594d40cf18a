"""Pure command-line front-ends of the verbs that need no database: `pb`, `clear`, `tally`,
`allocate`.

`solidaria.cli` dispatches these verbs here before Django is imported (a count then starts
in the time it takes to import its engine); the Django management commands of the same
names call the same `add_arguments` and `run`, so `solidaria pb count` and
`manage.py pb count` take the same flags, print the same output and exit with the same
status (2, with one line on stderr, on bad input). Nothing here imports Django.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

__all__ = ["CliError", "Out", "Writer", "run_verb"]


class CliError(Exception):
    """Bad input: printed as one line on stderr; the process exits with `returncode`."""

    def __init__(self, message: str, *, returncode: int = 2) -> None:
        super().__init__(message)
        self.returncode = returncode


class Writer(Protocol):
    def write(self, msg: str = "", /) -> Any: ...


class Out:
    """Writes like Django's OutputWrapper: one newline added when the text lacks it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, msg: str = "", /) -> None:
        self._stream.write(msg if msg.endswith("\n") else msg + "\n")


def _django_options(parser: argparse.ArgumentParser) -> None:
    """Django's own options of every command, accepted and ignored (scripts pass them)."""
    hidden = argparse.SUPPRESS
    parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3], help=hidden)
    for flag in ("--settings", "--pythonpath"):
        parser.add_argument(flag, help=hidden)
    for flag in ("--traceback", "--no-color", "--force-color", "--skip-checks"):
        parser.add_argument(flag, action="store_true", help=hidden)


def run_verb(
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[Mapping[str, Any], Writer, Writer], None],
    *,
    prog: str,
    description: str,
    argv: list[str],
) -> int:
    """Parse `argv`, run the verb, and return the exit status (0, or 2 on bad input)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    _django_options(parser)
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        run(options, Out(sys.stdout), Out(sys.stderr))
        sys.stdout.flush()
    except BrokenPipeError:  # `solidaria pb count FILE | head -1`: the reader left, fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except CliError as exc:
        if options.get("traceback"):
            raise
        sys.stdout.flush()
        sys.stderr.write(f"CommandError: {exc}\n")  # the line Django prints
        return exc.returncode
    sys.stdout.flush()
    return 0
