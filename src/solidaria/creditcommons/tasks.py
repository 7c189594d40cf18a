"""Background work for credit between networks: reconciling unfinished payments.

Run `solidaria cc recover` when the instance starts (before it serves, so holds left by
a crash are settled with the neighbours first) and then on a schedule, e.g. every
minute from cron or a systemd timer, or enqueue `recover_unfinished` for
`solidaria db_worker`. The scheduled run leaves alone what was touched in the last
`min_age_seconds`, so that it never races a payment still in flight.
"""

from __future__ import annotations

from django_tasks import task

from solidaria.creditcommons import services


@task()
def recover_unfinished(min_age_seconds: int = 30) -> dict[str, int]:
    """Ask the neighbours about every unfinished transaction; complete or release it."""
    return services.recover(min_age_seconds=min_age_seconds)
