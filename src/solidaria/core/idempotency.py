"""Client-supplied idempotency keys for value-moving writes.

Usage inside a service's transaction::

    existing = idempotency.lookup(scope="ledger.transfer", key=key, request=payload)
    if existing: return Transfer.objects.get(pk=existing)
    ... do the write ...
    idempotency.remember(scope=..., key=key, request=payload, result=transfer, actor=actor)

`remember` relies on the unique (scope, key) constraint: when two requests with the same
key race, the loser's transaction fails with IntegrityError and rolls back everything it
wrote; the caller retries and then finds the winner's result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from solidaria.core.errors import Conflict
from solidaria.core.models import IdempotencyRecord


def request_fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lookup(*, scope: str, key: str, request: dict[str, Any]) -> str | None:
    """The stored result id for this key, or None. Reusing a key for a different request is
    refused: it is almost always a client bug that would otherwise silently lose a payment."""
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if record is None:
        return None
    if record.request_hash != request_fingerprint(request):
        raise Conflict(f"idempotency key '{key}' was already used for a different request")
    return record.result_id


def remember(*, scope: str, key: str, request: dict[str, Any], result: Any, actor: Any) -> None:
    IdempotencyRecord.objects.create(
        scope=scope,
        key=key,
        actor=actor if getattr(actor, "pk", None) else None,
        request_hash=request_fingerprint(request),
        result_type=result._meta.label_lower,
        result_id=str(result.pk),
    )
