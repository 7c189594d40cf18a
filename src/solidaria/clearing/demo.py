"""Demo: invoices between the demo members in the community currency, with cycles to
clear, and one computed clearing run waiting for the steward's decision."""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction

from solidaria.clearing import services
from solidaria.clearing.models import ClearingRun, Obligation
from solidaria.core.demo import MEMBERS, STEWARD, demo_users
from solidaria.ledger.models import Currency


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
    stdout.write(
        f"  {report.created} confirmed invoices; clearing run #{run.pk}: "
        f"{ClearingRun.objects.get(pk=run.pk).get_status_display()}"
    )
