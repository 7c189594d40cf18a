"""Run callables at the same instant on their own database connections (PostgreSQL race
tests): each thread waits at one barrier, then calls its function; a refusal
(`DomainError`) is kept as the outcome of its call, anything else fails the test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

from solidaria.core.errors import DomainError


def race_each(work: Callable[[int], Any], *, workers: int) -> list[Any]:
    """Call `work(0)` … `work(workers - 1)` at once: what each returned, or the DomainError
    it raised, in the order of i. Any other exception is raised again here, after every
    thread has finished, so a bug fails the test instead of a thread printing it."""
    outcomes: list[Any] = [None] * workers
    unexpected: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except DomainError as exc:
            outcomes[i] = exc
        except BaseException as exc:  # re-raised in the test's thread below
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if unexpected:
        raise unexpected[0]
    return outcomes


def race(*work: Callable[[], Any]) -> tuple[list[Any], list[str]]:
    """(what the calls returned, the sentences of the refused ones), in the order of `work`."""
    outcomes = race_each(lambda i: work[i](), workers=len(work))
    results = [o for o in outcomes if not isinstance(o, DomainError)]
    return results, [o.message for o in outcomes if isinstance(o, DomainError)]
