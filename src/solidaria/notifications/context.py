"""The header's inbox link: how many notifications the person has not read."""

from __future__ import annotations

from django.http import HttpRequest

from solidaria.notifications.services import unread_count


def unread(request: HttpRequest) -> dict[str, object]:
    """One indexed count per page, for logged-in people only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
