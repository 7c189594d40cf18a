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
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models, transaction

from solidaria.core.errors import Conflict
from solidaria.core.models import IdempotencyRecord

T = TypeVar("T", bound=models.Model)


def request_fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lookup_sql() -> str:
    meta = IdempotencyRecord._meta
    qn = connection.ops.quote_name
    cols = {f.name: qn(f.column) for f in meta.concrete_fields}
    return (
        f"SELECT {cols['result_id']}, {cols['request_hash']} FROM {qn(meta.db_table)} "
        f"WHERE {cols['scope']} = %s AND {cols['key']} = %s LIMIT 1"
    )


def lookup(*, scope: str, key: str, request: dict[str, Any]) -> str | None:
    """The stored result id for this key, or None. Reusing a key for a different request is
    refused: it is almost always a client bug that would otherwise silently lose a payment.

    One indexed SELECT of two columns (no model, no ORDER BY): it runs on every payment."""
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), [scope, key])
        row = cursor.fetchone()
    if row is None:
        return None
    result_id, request_hash = row
    if request_hash != request_fingerprint(request):
        raise Conflict(f"idempotency key '{key}' was already used for a different request")
    return str(result_id)


def record_for(
    *, scope: str, key: str, request: dict[str, Any], result: Any, actor: Any
) -> IdempotencyRecord:
    """The record `remember` would write, unsaved: for a caller that writes it together
    with its other rows in one round trip (it must still be written in the same
    transaction as the result, so that the unique constraint guards the result)."""
    return IdempotencyRecord(
        scope=scope,
        key=key,
        actor=actor if getattr(actor, "pk", None) else None,
        request_hash=request_fingerprint(request),
        result_type=result._meta.label_lower,
        result_id=str(result.pk),
    )


def remember(*, scope: str, key: str, request: dict[str, Any], result: Any, actor: Any) -> None:
    record_for(scope=scope, key=key, request=request, result=result, actor=actor).save(
        force_insert=True
    )


def once(
    *,
    scope: str,
    key: str,
    request: dict[str, Any],
    actor: Any,
    model: type[T],
    work: Callable[[], T],
) -> T:
    """Run `work` at most once per (scope, key): a repeat returns the first result.

    When two first requests race, the loser's savepoint rolls back on the unique
    constraint and it returns the winner's result instead."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                existing = lookup(scope=scope, key=key, request=request)
                if existing is not None:
                    return model._default_manager.get(pk=existing)
                result = work()
                remember(scope=scope, key=key, request=request, result=result, actor=actor)
                return result
        except IntegrityError:
            if attempt == 1:
                raise Conflict("this request clashed with another one; please try again") from None
    raise AssertionError("unreachable")
