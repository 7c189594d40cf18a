"""Work a signed request can leave until its answer is sent: telling the payee.

The destination's answer is on the critical path of the whole payment (every node
upstream waits for it), but the payee's notification is not part of the payment: it is
recorded and mailed once the answer is out, as the ledger's one-statement payment
records its own after its commit. Inside `deferred()` (the protocol view) `later(fn)`
runs `fn` when the response is closed, that is after the WSGI server wrote it; elsewhere
(services called directly, the CLI, tests) after the commit, as before. Either way `fn`
runs only if the transaction that asked for it committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.http import JsonResponse

log = logging.getLogger(__name__)
_local = threading.local()


@contextmanager
def deferred() -> Iterator[list[Callable[[], None]]]:
    jobs: list[Callable[[], None]] = []
    _local.jobs = jobs
    try:
        yield jobs
    finally:
        _local.jobs = None


def later(fn: Callable[[], None]) -> None:
    jobs = getattr(_local, "jobs", None)
    if jobs is None:
        transaction.on_commit(fn)
    else:
        transaction.on_commit(lambda: jobs.append(fn))


def run(jobs: list[Callable[[], None]]) -> None:
    for job in jobs:
        try:
            job()
        except Exception:  # the answer is sent: a failure here must not break the worker
            log.exception("work after the answer failed")
    jobs.clear()


class AnswerThen(JsonResponse):
    """A JSON answer that runs `jobs` when the server closes it (after writing it), before
    Django's end-of-request handling (which may close the database connection)."""

    def __init__(self, data: dict[str, Any], jobs: list[Callable[[], None]], **kw: Any) -> None:
        super().__init__(data, **kw)
        self._jobs = jobs

    def close(self) -> None:
        run(self._jobs)
        super().close()
