from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from solidaria.core.models import AuditEvent


def event(
    *,
    actor: Any,
    verb: str,
    obj: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
    anonymous: bool = False,
) -> AuditEvent:
    """The audit event `record` would write, unsaved: for a caller that writes it together
    with its other rows (the ledger's payment hot path sends them in one round trip).

    `anonymous=True` (secret ballots) keeps no actor and only the day (UTC) of `at`, so
    the journal says that something happened to `obj` that day, never who or when exactly.
    """
    user = (
        actor
        if not anonymous
        and getattr(actor, "pk", None)
        and getattr(actor, "is_authenticated", False)
        else None
    )
    meta = getattr(obj, "_meta", None)
    at = timezone.now()
    if anonymous:
        at = at.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return AuditEvent(
        at=at,
        actor=user,
        verb=verb,
        object_type=meta.label_lower if meta is not None else type(obj).__name__,
        object_id=str(getattr(obj, "pk", obj)),
        reason=reason,
        data=data or {},
    )


def record(
    *,
    actor: Any,
    verb: str,
    obj: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
    anonymous: bool = False,
) -> AuditEvent:
    """Write one audit event inside the caller's transaction (see `event` for `anonymous`)."""
    ev = event(actor=actor, verb=verb, obj=obj, reason=reason, data=data, anonymous=anonymous)
    if anonymous:  # a raw save keeps the day-only `at` (auto_now_add would set the time)
        ev.save_base(raw=True, force_insert=True)
    else:
        ev.save(force_insert=True)
    return ev
