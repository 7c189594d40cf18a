"""`solidaria cc …`: credit between networks (the contract the federation harness uses).

  cc link add --role trunk|leaf --slug SLUG --url URL --secret S --currency CODE
              [--rate FRACTION] [--credit-limit AMOUNT] [--their-exponent N] [--json]
  cc link list | unfreeze SLUG --reason R | remove SLUG --reason R
  cc pay --from USERNAME --to NETWORK/USERNAME --amount 10.00 --key KEY [--memo M] [--json]
  cc status TXID [--json]
  cc recover [--min-age SECONDS] [--json]
  cc check [--json]

Exit codes: 0 done (a payment completed), 1 refused or not completed (with the sentence),
2 bad input (naming the field).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.accounts.models import User
from solidaria.core.errors import DomainError, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import engine, services
from solidaria.creditcommons.models import Link, RemoteTransaction, State
from solidaria.ledger.models import Currency
from solidaria.ledger.rules import parse_amount


class Command(BaseCommand):
    help = "Credit between networks: links, payments, status, recovery and checks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        link = sub.add_parser("link", help="links with the trunk or member networks")
        lsub = link.add_subparsers(dest="link_action", required=True)
        add = lsub.add_parser("add", help="declare the trunk (on a leaf) or a leaf (on the trunk)")
        add.add_argument("--role", required=True, choices=["trunk", "leaf"])
        add.add_argument("--slug", required=True)
        add.add_argument("--url", required=True)
        add.add_argument("--secret", required=True)
        add.add_argument("--currency", required=True)
        add.add_argument("--rate", default="1", help="trunk units per leaf unit, e.g. 2 or 1/2")
        add.add_argument("--credit-limit", help="how far the link account may go below zero")
        add.add_argument("--their-exponent", type=int, help="the neighbour currency's decimals")
        add.add_argument(
            "--fee-basis-points",
            type=int,
            default=0,
            help="this network's fee on payments arriving through the link (100 = 1%%)",
        )
        add.add_argument("--json", action="store_true")
        lsub.add_parser("list", help="the links and their state").add_argument(
            "--json", action="store_true"
        )
        for name in ("unfreeze", "remove"):
            p = lsub.add_parser(name)
            p.add_argument("slug")
            p.add_argument("--reason", required=True)
            p.add_argument("--json", action="store_true")
        pay = sub.add_parser("pay", help="pay a member of another network")
        pay.add_argument("--from", dest="payer", required=True)
        pay.add_argument("--to", dest="payee", required=True, help="network/username")
        pay.add_argument("--amount", required=True)
        pay.add_argument("--key", required=True)
        pay.add_argument("--memo", default="")
        pay.add_argument("--json", action="store_true")
        status = sub.add_parser("status", help="this node's state of a transaction")
        status.add_argument("txid")
        status.add_argument("--json", action="store_true")
        recover = sub.add_parser("recover", help="settle unfinished transactions")
        recover.add_argument("--min-age", type=int, default=0, help="seconds untouched")
        recover.add_argument("--json", action="store_true")
        sub.add_parser("check", help="zero sums, rate invariants, hash-chain handshakes")
        sub.choices["check"].add_argument("--json", action="store_true")

    def _out(self, options: dict[str, Any], data: dict[str, Any], text: str) -> None:
        self.stdout.write(json.dumps(data, sort_keys=True) if options.get("json") else text)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "link":
                self._link(options)
            elif action == "pay":
                self._pay(options)
            elif action == "status":
                self._status(options)
            elif action == "recover":
                counts = services.recover(min_age_seconds=max(0, options["min_age"]))
                self._out(
                    options,
                    counts,
                    f"{counts['completed']} completed, {counts['erased']} erased, "
                    f"{counts['unresolved']} unresolved",
                )
            else:
                report = services.check()
                self._out(
                    options,
                    report,
                    "ok" if report["ok"] else "\n".join(report["problems"]),
                )
                if not report["ok"]:
                    raise CommandError("cc check found problems", returncode=1)
        except (ValidationFailed, NotFound) as exc:
            where = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"{exc.message}{where}", returncode=2) from None
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from None

    def _link(self, options: dict[str, Any]) -> None:
        sub = options["link_action"]
        if sub == "list":
            rows = [
                {
                    "slug": link.slug,
                    "role": link.role,
                    "url": link.url,
                    "currency": link.currency.code,
                    "rate": link.rate_text,
                    "balance": link.account.balance,
                    "credit_limit": link.account.credit_limit,
                    "active": link.is_active,
                    "frozen": link.is_frozen,
                }
                for link in Link.objects.select_related("currency", "account")
            ]
            self._out(options, {"links": rows}, "\n".join(json.dumps(r) for r in rows))
            return
        if sub in ("unfreeze", "remove"):
            fn = services.link_unfreeze if sub == "unfreeze" else services.link_remove
            link = fn(actor=SYSTEM, slug=options["slug"], reason=options["reason"])
            self._out(options, {"slug": link.slug, "frozen": link.is_frozen}, f"{sub}: {link}")
            return
        currency = Currency.objects.filter(code=options["currency"].strip().upper()).first()
        if currency is None:
            raise NotFound(f"there is no currency {options['currency']}", field="currency")
        limit = None
        if options.get("credit_limit") not in (None, ""):
            limit = parse_amount(currency, options["credit_limit"], field="credit_limit")
        link = services.link_add(
            actor=SYSTEM,
            role=options["role"],
            slug=options["slug"],
            url=options["url"],
            secret=options["secret"],
            currency_code=currency.code,
            rate=options["rate"],
            credit_limit=limit,
            remote_exponent=options.get("their_exponent"),
            fee_basis_points=options.get("fee_basis_points") or 0,
        )
        self._out(
            options,
            {
                "slug": link.slug,
                "role": link.role,
                "currency": currency.code,
                "rate": link.rate_text,
                "account": link.account_id,
                "credit_limit": link.account.credit_limit,
                "fee_basis_points": link.fee_basis_points,
            },
            f"linked {link.slug} ({link.role}) at rate {link.rate_text}, account {link.account_id}",
        )

    def _pay(self, options: dict[str, Any]) -> None:
        payer = User.objects.filter(username=options["payer"]).first()
        if payer is None:
            raise NotFound(f"there is no member {options['payer']}", field="from")
        address = engine.parse_address(options["payee"])
        link = services.route_for(address)
        amount = parse_amount(link.currency, options["amount"])
        tx = services.pay(
            actor=payer,
            payer=payer,
            payee=str(address),
            amount_minor=amount,
            key=options["key"],
            memo=options["memo"],
        )
        data = services.answer(tx)
        self._out(
            options, data, f"{tx.txid}: {tx.state}" + (f" ({tx.reason})" if tx.reason else "")
        )
        if tx.state != State.COMPLETED:
            raise CommandError(
                tx.reason or f"the payment is {tx.state}; `solidaria cc recover` settles it",
                returncode=1,
            )

    def _status(self, options: dict[str, Any]) -> None:
        try:
            txid = uuid.UUID(options["txid"])
        except ValueError:
            raise ValidationFailed("the transaction id is not a UUID", field="txid") from None
        tx = RemoteTransaction.objects.filter(txid=txid).first()
        if tx is None:
            self._out(options, {"txid": str(txid), "state": "absent"}, "absent")
            raise CommandError("this network does not know the transaction", returncode=1)
        self._out(options, {"txid": str(txid), "state": tx.state, "reason": tx.reason}, tx.state)
