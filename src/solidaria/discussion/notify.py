"""Telling people about replies, mentions and messages through the notifications app.

`notifications.services.notify(kind, recipients, *, actor, target, context, dedupe_key)`
records the event in the caller's transaction and delivers it after commit. Until that
app is installed in this tree, nothing is sent: discussion works without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The kinds of event this app raises (registered in notifications/kinds.py).
REPLY = "discussion.comment.replied"
MENTION = "discussion.comment.mentioned"
MESSAGE = "discussion.message.received"
REPORT = "discussion.comment.reported"
COMMENTED = "discussion.thread.commented"
KINDS = (REPLY, MENTION, MESSAGE, REPORT, COMMENTED)


def _notify() -> Any:
    try:
        from solidaria.notifications.services import notify
    except ImportError:
        return None
    return notify


def send(
    kind: str,
    recipients: Iterable[Any],
    *,
    actor: Any,
    target: Any,
    context: dict[str, Any],
    dedupe_key: str,
) -> bool:
    """Notify `recipients` (never the actor); False when there is nobody or no mechanism."""
    people = [
        p for p in recipients if getattr(p, "pk", None) and p.pk != getattr(actor, "pk", None)
    ]
    notify = _notify()
    if not people or notify is None:
        return False
    values = {k: v for k, v in context.items() if k != "url"}
    notify(
        kind,
        people,
        actor=actor,
        target=target,
        context=values,
        dedupe_key=dedupe_key,
        url=context.get("url", ""),
    )
    return True
