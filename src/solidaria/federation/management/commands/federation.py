"""`solidaria federation register|subscribe|aggregate|leave`: this network in the
Murmurations index and other networks' profiles in its directory.

    register [--all] [--wait] [--timeout S] [--json]   exit 0 only if no profile failed
    subscribe --index URL --name NETWORK [--schema S] [--country CC] [--tag T]...
              [--auto-approve] [--json]
    aggregate [--subscription ID] [--json]
    leave [--json]     unregister everything, unsubscribe, remove aggregated entries
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.core.errors import DomainError
from solidaria.core.permissions import SYSTEM
from solidaria.federation import aggregation, registration
from solidaria.federation.models import Registration, Subscription


class Command(BaseCommand):
    help = "Register this network's profiles with an index, aggregate other networks', leave."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reg = sub.add_parser("register", help="send our profiles to the configured index")
        reg.add_argument(
            "--all", action="store_true", help="every confirmed organisation and the network"
        )
        reg.add_argument("--wait", action="store_true", help="poll until every state is final")
        reg.add_argument("--timeout", type=float, default=120.0, help="seconds --wait may take")
        reg.add_argument("--json", action="store_true")
        subscribe = sub.add_parser("subscribe", help="aggregate another network's profiles")
        subscribe.add_argument("--index", required=True, help="the index's base URL (…/v2)")
        subscribe.add_argument("--name", required=True, help="the other network's name")
        subscribe.add_argument("--schema", default="")
        subscribe.add_argument("--country", default="")
        subscribe.add_argument("--tag", action="append", default=[])
        subscribe.add_argument("--auto-approve", action="store_true")
        subscribe.add_argument("--json", action="store_true")
        agg = sub.add_parser("aggregate", help="run the subscriptions now")
        agg.add_argument("--subscription", type=int, default=None)
        agg.add_argument("--json", action="store_true")
        leave = sub.add_parser("leave", help="unregister, unsubscribe, remove aggregated entries")
        leave.add_argument("--timeout", type=float, default=120.0)
        leave.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            out = getattr(self, "_" + options["action"])(options)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(out, sort_keys=True))
        if out.get("failed"):
            raise CommandError(f"{out['failed']} profile(s) failed", returncode=1)

    def _say(self, options: dict[str, Any], text: str) -> None:
        if not options["json"]:
            self.stdout.write(text)

    def _register(self, options: dict[str, Any]) -> dict[str, Any]:
        if not registration.is_enabled():
            raise CommandError(
                "set SOLIDARIA_MURMURATIONS_INDEX_URL to the index to register with",
                returncode=2,
            )
        # without --all: what is not settled yet, refused profiles included
        regs = registration.want_everything() if options["all"] else registration.unsettled()
        regs = registration.settle(regs, timeout=options["timeout"], wait=options["wait"])
        for reg in regs:
            detail = "; ".join(reg.reasons) or reg.last_error
            self._say(options, f"{reg.status:18} {reg.profile_url} {detail}".rstrip())
        out = registration.summary(regs)
        self._say(
            options, f"posted {out['posted']}, failed {out['failed']}, pending {out['pending']}"
        )
        return out

    def _subscribe(self, options: dict[str, Any]) -> dict[str, Any]:
        sub = aggregation.subscribe(
            actor=SYSTEM,
            index_url=options["index"],
            network_name=options["name"],
            schema=options["schema"],
            country=options["country"],
            tags=options["tag"],
            is_auto_approved=options["auto_approve"],
        )
        self._say(options, f"subscription {sub.pk}: {sub}")
        return {"subscription": sub.pk}

    def _aggregate(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["subscription"] is not None:
            runs = {
                str(options["subscription"]): aggregation.run_subscription(options["subscription"])
            }
        else:
            runs = aggregation.run_all()
        for pk, counts in runs.items():
            self._say(
                options, f"subscription {pk}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
            )
        total = {k: sum(c[k] for c in runs.values()) for k in next(iter(runs.values()), {})}
        return {"subscriptions": runs, **total}

    def _leave(self, options: dict[str, Any]) -> dict[str, Any]:
        regs = registration.withdraw_everything() if registration.is_enabled() else []
        regs = registration.settle(regs, timeout=options["timeout"], wait=True)
        failed = sum(1 for r in regs if r.status != Registration.Status.DELETED)
        removed = 0
        subs = list(Subscription.objects.filter(is_active=True))
        for sub in subs:
            removed += aggregation.unsubscribe(actor=SYSTEM, subscription_id=sub.pk)
        out = {
            "deleted": len(regs) - failed,
            "failed": failed,
            "unsubscribed": len(subs),
            "removed": removed,
        }
        self._say(
            options,
            f"deleted {out['deleted']} profile(s) from the index ({failed} failed), "
            f"ended {len(subs)} subscription(s), removed {removed} aggregated entries",
        )
        return out
