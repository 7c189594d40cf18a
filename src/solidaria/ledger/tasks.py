"""Background work for the ledger: checkpointing the journal.

Run it on a schedule (`solidaria ledger checkpoint` from cron, or enqueue
`take_checkpoint` for `solidaria db_worker`), e.g. hourly: a rewrite of the journal is
caught at the first checkpoint made after the rewritten entry.
"""

from __future__ import annotations

from django_tasks import task

from solidaria.ledger import checkpoints


@task()
def take_checkpoint() -> int:
    """Checkpoint the journal now; returns the checkpoint's id."""
    return checkpoints.take_checkpoint().pk
