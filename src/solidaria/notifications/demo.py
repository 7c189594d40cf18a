"""Demo data: the other apps' demo data has already told people of payments, requests,
polls and reviews through the services. Here each demo person who still has nothing
unread is welcomed (they were admitted), and two of them read their emails in Spanish
and Bengali. Idempotent: the dedupe keys make a second run add nothing."""

from __future__ import annotations

from typing import Any

from solidaria.core.demo import demo_users
from solidaria.core.permissions import SYSTEM
from solidaria.notifications import events, services
from solidaria.notifications.models import Notification

LANGUAGES = {"dolores": "es", "farah": "bn"}


def load(*, stdout: Any = None) -> None:
    users = demo_users()
    for username, language in LANGUAGES.items():
        services.preferences_set(actor=users[username], deliveries={}, language=language)
    for user in users.values():
        if not Notification.objects.filter(user=user, read_at__isnull=True).exists():
            events.admission_decided(actor=SYSTEM, user=user)
    if stdout is not None:
        unread = Notification.objects.filter(user__in=users.values(), read_at__isnull=True)
        stdout.write(f"  {unread.count()} unread notifications for the demo people")
