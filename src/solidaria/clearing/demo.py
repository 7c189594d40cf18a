"""Demo: invoices between the demo members in the community currency, with cycles to
clear; one clearing run that the steward proposed, every member it touched accepted, was
applied, and whose rest the steward chose to settle in the same currency on the ledger;
a few debtors have paid (part of) their rest from their ledger accounts."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation
from solidaria.core.demo import MEMBERS, STEWARD, demo_users
from solidaria.core.errors import DomainError
from solidaria.ledger.models import Currency

# Each settlement pays at most this (minor units): within the demo members' credit lines
# and below the currency's authorisation threshold.
SETTLE_AT_MOST = 3_000
SETTLEMENTS = 4


def load(*, stdout: Any) -> None:
    currency = (
        Currency.objects.filter(unit_kind=Currency.UnitKind.MONEY, is_active=True)
        .order_by("pk")
        .first()
    )
    if currency is None:
        stdout.write("  no money currency (ledger demo not loaded): skipping clearing demo")
        return
    if Obligation.objects.filter(currency=currency).exists():
        stdout.write("  clearing demo already loaded")
        return
    users = demo_users()
    rng = random.Random(20261123)
    lines = ["debtor,creditor,amount,reference"]
    for n in range(60):
        debtor, creditor = rng.sample(MEMBERS, 2)
        amount = rng.choice([15, 40, 75, 120, 250, 400, 980])
        cents = rng.choice([0, 50, 99])
        lines.append(f"{debtor},{creditor},{amount}.{cents:02d},INV-{2026}-{n + 1:04d}")
    steward = users[STEWARD]
    with transaction.atomic():
        report = services.obligations_import(
            actor=steward, currency=currency, text="\n".join(lines), confirm_both=True
        )
    run = services.run_start(actor=steward, currency=currency)
    services.run_propose(
        actor=steward,
        run=run,
        deadline=timezone.now() + dt.timedelta(days=7),
        reason="Monthly clearing",
    )
    for member in User.objects.filter(pk__in=queries.affected_member_ids(run)).order_by("pk"):
        services.run_respond(actor=member, run=run, answer="accept")
    run = ClearingRun.objects.get(pk=run.pk)
    services.run_settlement_currency_set(actor=steward, run=run, currency=currency)
    paid = 0
    for ob in queries.to_settle_by_any(run)[: SETTLEMENTS * 3]:
        if paid == SETTLEMENTS:
            break
        try:
            services.obligation_settle(
                actor=ob.debtor,
                obligation=ob,
                amount_minor=min(ob.remaining_minor, SETTLE_AT_MOST),
                key=f"demo-settle-{ob.pk}",
            )
            paid += 1
        except DomainError:  # a debtor with no room left on their credit line
            continue
    stdout.write(
        f"  {report.created} confirmed invoices; clearing run #{run.pk}: "
        f"{run.get_status_display()}, {paid} obligations paid on the ledger"
    )
