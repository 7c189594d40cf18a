"""Background work: counting a big process (Warszawa-size) off the request."""

from __future__ import annotations

from django_tasks import task

from solidaria.accounts.models import User
from solidaria.budgeting.models import Process


@task()
def count_process(*, process_id: int, actor_id: int) -> int:
    """Count a process as `actor` (permission checked again inside); returns the result id."""
    from solidaria.budgeting import services

    actor = User.objects.get(pk=actor_id)
    process = Process.objects.get(pk=process_id)
    return services.count_run(actor=actor, process=process).pk
