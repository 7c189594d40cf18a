"""How long the index keeps a deleted node.

The Murmurations protocol keeps a deleted node's record, status `deleted` with the
`last_updated` of its deletion, so aggregators polling with `last_updated` learn that the
profile is gone; after a while the record itself is removed. This index removes it 14
days after the deletion (`purge_deleted`, run daily: the task
`murmurations.tasks.purge_deleted_nodes` or `solidaria murmurations purge-deleted`).
A deleted node keeps the `last_updated` of its deletion until it is posted again (it is
then `received`, no longer `deleted`), so that is the deletion's time.
"""

from __future__ import annotations

from django.db import transaction

from solidaria.murmurations import services
from solidaria.murmurations.models import Node

DELETED_RETENTION_DAYS = 14
DAY_MS = 24 * 3600 * 1000
BATCH = 1000


def purge_deleted(*, days: int = DELETED_RETENTION_DAYS) -> int:
    """Remove the nodes deleted more than `days` days ago (with their tag and schema
    rows); returns how many. Safe to run twice or alongside a new post of the same URL:
    rows are locked and checked again before they go."""
    cutoff = services.now_ms() - days * DAY_MS
    removed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Node.objects.select_for_update()
                .filter(status=Node.Status.DELETED, last_updated__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return removed
            _count, per_model = Node.objects.filter(pk__in=ids).delete()
            removed += per_model.get(Node._meta.label, 0)
