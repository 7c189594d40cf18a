"""`solidaria createsteward USERNAME`: the first network steward of a new instance.

Creates the person if needed (asking for a password unless --no-password), makes them an
admitted network steward and records it in the audit journal as the platform's act.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.accounts import services
from solidaria.accounts.models import User


class Command(BaseCommand):
    help = "Make USERNAME an admitted network steward (creating the person if needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="create without a password (set one later with `solidaria changepassword`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if not username:
            raise CommandError("give a user name")
        password = None
        if not User.objects.filter(username=username).exists() and not options["no_password"]:
            password = getpass.getpass(f"Password for {username}: ")
            if not password or password != getpass.getpass("Again: "):
                raise CommandError("the two passwords differ or are empty; nothing was created")
        user = services.steward_create(username=username, email=options["email"], password=password)
        self.stdout.write(f"{user.username} is a network steward and an admitted member.")
