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
