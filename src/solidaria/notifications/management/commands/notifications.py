"""`solidaria notifications send-digests` (daily) and `solidaria notifications polls-closing`
(hourly): run them from cron. Each may run twice: nobody is told or emailed twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from solidaria.notifications.tasks import notify_polls_closing, send_digests


class Command(BaseCommand):
    help = "Send the daily email digests, or tell voters of polls closing within 24 hours."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("send-digests", help="email each person their digest of unread news")
        sub.add_parser("polls-closing", help="tell voters of polls closing within 24 hours")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "send-digests":
            result = send_digests.enqueue()
            done = "sent {} digest(s)"
        else:
            result = notify_polls_closing.enqueue()
            done = "told {} voter(s) of polls closing soon"
        if result.is_finished:
            self.stdout.write(done.format(result.return_value))
        else:
            self.stdout.write(f"queued: {options['action']}")
