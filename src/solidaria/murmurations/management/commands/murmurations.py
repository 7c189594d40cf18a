"""`solidaria murmurations purge-deleted`: remove the index's nodes deleted more than 14
days ago (the protocol keeps a deleted node's record for a while, then removes it). Run
it daily from cron; running it twice removes nothing more."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from solidaria.murmurations.retention import DELETED_RETENTION_DAYS
from solidaria.murmurations.tasks import purge_deleted_nodes


class Command(BaseCommand):
    help = "Maintain this instance's Murmurations index."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "purge-deleted",
            help=f"remove nodes deleted more than {DELETED_RETENTION_DAYS} days ago",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = purge_deleted_nodes.enqueue()
        if result.is_finished:
            self.stdout.write(
                f"removed {result.return_value} node(s) deleted more than "
                f"{DELETED_RETENTION_DAYS} days ago"
            )
        else:
            self.stdout.write("queued: purge-deleted")
