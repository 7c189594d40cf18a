from __future__ import annotations

from typing import Any

from solidaria.core.models import AuditEvent


def record(
    *, actor: Any, verb: str, obj: Any, reason: str = "", data: dict[str, Any] | None = None
) -> AuditEvent:
    """Write one audit event inside the caller's transaction."""
    user = (
        actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    )
    return AuditEvent.objects.create(
        actor=user,
        verb=verb,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__,
        object_id=str(getattr(obj, "pk", obj)),
        reason=reason,
        data=data or {},
    )
