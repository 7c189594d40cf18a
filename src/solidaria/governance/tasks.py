"""Background work for governance: closing polls when their deadline passes.

Run it on a schedule (`solidaria close_polls` from cron or a worker); pages and the API
also close an overdue poll when it is looked at, so a missed run delays nothing.
"""

from __future__ import annotations

from django_tasks import task

from solidaria.governance import services


@task()
def close_due_polls() -> int:
    """Close every open poll past its deadline; returns how many were closed."""
    return services.close_due_polls()


@task()
def apply_allocation(poll_id: int) -> int | None:
    """Apply the surplus allocation a closed general-assembly poll passed (enqueued after
    the poll's close commits); returns the acceptance's id, or None."""
    acceptance = services.allocation_apply_by_poll(poll=poll_id)
    return acceptance.pk if acceptance else None
