"""A small network for the dashboard, visibility and transparency tests: one currency, a
payment, an open payment request, an invoice to confirm, a co-op with an open poll and a
participatory budget in its voting phase (`published=True`: counted and published)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM


@dataclass
class Network:
    ada: User
    bo: User
    stew: User
    ids: dict[str, Any]


def build(ada: User, bo: User, stew: User, *, published: bool = False) -> Network:
    from solidaria.budgeting import services as pb
    from solidaria.budgeting.models import ProjectStatus
    from solidaria.clearing import services as clearing
    from solidaria.governance import services as gov
    from solidaria.ledger import services as ledger
    from solidaria.ledger.payment_requests import request_create

    ids: dict[str, Any] = {}
    sol = ledger.currency_create(actor=stew, code="SOL", name="Sol", default_credit_limit=10_000)
    accounts = {
        u.username: ledger.account_open(actor=SYSTEM, currency=sol, owner=u) for u in (ada, bo)
    }
    for account in accounts.values():
        ledger.account_limits_set(
            actor=stew, account=account, credit_limit=10_000, upper_limit=None, reason="test"
        )
    transfer = ledger.transfer_create(
        actor=ada, payer=accounts["ada"], payee=accounts["bo"], amount_minor=250, key="t-1"
    )
    request_create(actor=bo, payee=accounts["bo"], payer=accounts["ada"], amount_minor=50)
    # bo records that ada owes him: ada is asked to confirm the invoice
    clearing.obligation_create(
        actor=bo, currency=sol, debtor=ada, creditor=bo, amount_minor=70, key="ob-1"
    )
    bread = gov.coop_create(actor=stew, name="Bread", slug="bread", classes=[("workers", 1)])
    gov.membership_add(actor=stew, coop=bread, user=ada, member_class=bread.classes.get())
    poll = gov.poll_create(
        actor=stew,
        coop=bread,
        kind="proposal",
        title="New oven",
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    process = pb.process_create(
        actor=stew, settings=pb.ProcessSettings(title="Park fund", slug="park", budget_minor=100)
    )
    bench = pb.project_submit(actor=ada, process=process, title="Bench", cost_minor=40)
    pb.phase_advance(actor=stew, process=process)
    pb.project_review(actor=stew, project=bench, status=ProjectStatus.FEASIBLE)
    pb.phase_advance(actor=stew, process=process)
    if published:
        pb.ballot_cast(actor=bo, process=process, projects=[bench.code])
        pb.phase_advance(actor=stew, process=process)
        result = pb.count_request(actor=stew, process=process)
        assert result is not None
        pb.result_publish(actor=stew, result=result)
    ids.update(currency=sol, transfer=transfer.pk, poll=poll.pk, process=process.slug)
    return Network(ada, bo, stew, ids)
