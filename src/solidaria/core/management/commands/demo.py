"""`solidaria demo [ADDRPORT]`: migrate, load the real demo data of every app, then serve
on ADDRPORT (`127.0.0.1:8000` by default; `8001` or `0.0.0.0:8001` like runserver).

`--no-serve` only loads. Loading is idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from solidaria.core.demo import DEMO_PASSWORD, MEMBERS, STEWARD, demo_users

DEMO_APPS = [
    "directory",
    "ledger",
    "clearing",
    "budgeting",
    "governance",
    "discussion",
    "indicators",
    "accounts",  # who runs what and who holds which role, once the others' data exists
    "notifications",  # last: it reads what the others told people
]
DEFAULT_ADDRPORT = "127.0.0.1:8000"


def serve_address(addrport: str | None) -> str:
    """`8001` -> `127.0.0.1:8001`; `HOST:PORT` as given; None -> the default."""
    if not addrport:
        return DEFAULT_ADDRPORT
    if addrport.isdigit():
        return f"127.0.0.1:{addrport}"
    return addrport


class Command(BaseCommand):
    help = "Load the demo data (real public data sets) and serve on http://ADDRPORT/."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-serve", action="store_true", help="only load the data")
        parser.add_argument(
            "addrport",
            nargs="?",
            default=None,
            help=f"where to serve, PORT or HOST:PORT (default {DEFAULT_ADDRPORT})",
        )
        parser.add_argument(
            "--addrport", dest="addrport_option", default=None, help="the same, as an option"
        )
        parser.add_argument(
            "--only", action="append", choices=DEMO_APPS, help="load only these apps' data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        demo_users()
        for app in options["only"] or DEMO_APPS:
            try:
                module = importlib.import_module(f"solidaria.{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"solidaria.{app}.demo":
                    raise
                continue
            started = time.perf_counter()
            self.stdout.write(f"[{app}] loading demo data …")
            module.load(stdout=self.stdout)
            self.stdout.write(f"[{app}] done in {time.perf_counter() - started:.1f} s")
        from solidaria.ledger.checkpoints import take_checkpoint  # after every app's rows

        made = take_checkpoint()
        self.stdout.write(f"[ledger] checkpoint {made.pk} at entry {made.last_entry_id}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready. Steward: {STEWARD} / {DEMO_PASSWORD}; "
                f"members: {', '.join(MEMBERS)} (same password)."
            )
        )
        if not options["no_serve"]:
            addrport = serve_address(options["addrport"] or options["addrport_option"])
            self.stdout.write(f"Serving on http://{addrport}/ (Ctrl-C stops)")
            call_command("runserver", addrport, use_reloader=False, insecure_serving=True)
