"""Telling people about replies, mentions and messages through the notifications app.

`notifications.services.notify(kind, recipients, *, actor, target, context, dedupe_key)`
records the event in the caller's transaction and delivers it after commit.
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


def _notify() -> Any:
    from solidaria.notifications.services import notify

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
    """Notify `recipients` (never the actor); False when there is nobody to tell."""
    people = [
        p for p in recipients if getattr(p, "pk", None) and p.pk != getattr(actor, "pk", None)
    ]
    if not people:
        return False
    values = {k: v for k, v in context.items() if k != "url"}
    _notify()(
        kind,
        people,
        actor=actor,
        target=target,
        context=values,
        dedupe_key=dedupe_key,
        url=context.get("url", ""),
    )
    return True
