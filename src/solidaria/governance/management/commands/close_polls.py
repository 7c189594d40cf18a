"""`solidaria close_polls`: close every poll whose deadline has passed (run from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from solidaria.governance.tasks import close_due_polls


class Command(BaseCommand):
    help = "Close the polls whose deadline has passed, counting their ballots."

    def handle(self, *args: Any, **options: Any) -> None:
        result = close_due_polls.enqueue()
        closed = result.return_value if result.is_finished else None
        if closed is None:
            self.stdout.write("queued: closing due polls")
        else:
            self.stdout.write(f"closed {closed} poll(s)")
