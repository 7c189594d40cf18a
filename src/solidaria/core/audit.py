from __future__ import annotations

from typing import Any

from django.utils import timezone

from solidaria.core.models import AuditEvent


def event(
    *, actor: Any, verb: str, obj: Any, reason: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """The audit event `record` would write, unsaved: for a caller that writes it together
    with its other rows (the ledger's payment hot path sends them in one round trip)."""
    user = (
        actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    )
    meta = getattr(obj, "_meta", None)
    return AuditEvent(
        at=timezone.now(),
        actor=user,
        verb=verb,
        object_type=meta.label_lower if meta is not None else type(obj).__name__,
        object_id=str(getattr(obj, "pk", obj)),
        reason=reason,
        data=data or {},
    )


def record(
    *, actor: Any, verb: str, obj: Any, reason: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """Write one audit event inside the caller's transaction."""
    ev = event(actor=actor, verb=verb, obj=obj, reason=reason, data=data)
    ev.save(force_insert=True)
    return ev
