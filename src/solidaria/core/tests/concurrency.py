"""Run callables at the same instant on their own database connections (PostgreSQL race
tests): each thread waits at one barrier, then calls its function; a refusal
(`DomainError`) is collected as its sentence, anything else fails the test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

from solidaria.core.errors import DomainError


def race(*work: Callable[[], Any]) -> tuple[list[Any], list[str]]:
    """(what the calls returned, the sentences of the refused ones), in finishing order."""
    results: list[Any] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(work))

    def run(fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results.append(fn())
        except DomainError as exc:
            errors.append(exc.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
