"""Demo: a bakery co-op with workers and consumers; it is a directory organisation with an
account in EUR-COOP, into which its members pay for their shares (paid at once, or
through payment requests, one still open) and buy their bread. A closed proposal, a board
election by Scottish STV, an open consent poll, and a surplus allocation whose patronage
was read from the ledger (hours paid in the time bank, purchases paid to the co-op) and
which the general assembly accepted by a poll, then applied to the ledger.
Idempotent: loading twice changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from solidaria.core.demo import MEMBERS, STEWARD, demo_users
from solidaria.governance import services
from solidaria.governance.models import Cooperative, Poll, ShareOrder

SLUG = "bread-and-roses"
WORKERS = ["ana", "bilal", "chen"]
CURRENCY = "EUR-COOP"
HOURS = "HOURS"  # the ledger demo's time bank
BYLAWS = Path(__file__).parent / "engine" / "example_bylaws.json"


def _currency() -> Any:
    """The co-op keeps its accounts in euros, not in the network's mutual credit (whose
    member accounts have an upper limit a surplus payout could break)."""
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Currency

    found = Currency.objects.filter(code=CURRENCY).first()
    return found or ledger.currency_create(
        actor=SYSTEM, code=CURRENCY, name="Euro (co-op accounts)"
    )


def load(*, stdout: Any) -> None:
    if Cooperative.objects.filter(slug=SLUG).exists():
        stdout.write("  governance demo already loaded")
        return
    from solidaria.ledger import demo as ledger_demo

    ledger_demo.load(stdout=stdout)  # the time bank the hours come from (idempotent)
    users = demo_users()
    with transaction.atomic():
        run, poll = _load(users, stdout)
    # The assembly's poll passed: its close enqueued the run's application after commit.
    # Without a task worker (or inside a test's transaction) apply it here; idempotent.
    acceptance = services.allocation_apply_by_poll(poll=poll)
    stdout.write(
        f"  allocation run #{run.pk} applied after the general assembly's poll #{poll.pk}"
        if acceptance is not None
        else f"  allocation run #{run.pk}: the assembly's poll #{poll.pk} did not pass"
    )


def _coop_account(coop: Cooperative, steward: Any, ana: Any) -> Any:
    """The bakery's EUR-COOP account: asked for and approved like any organisation's
    (limit 0); ana, a co-op steward, may pay from it and ask for payments into it."""
    from solidaria.ledger import operators
    from solidaria.ledger import services as ledger

    currency = _currency()
    request = ledger.account_request_create(
        actor=steward,
        currency=currency,
        organisation=coop.organisation,
        note="share capital, bread sales and surplus payouts",
    )
    account = ledger.account_request_approve(actor=steward, request=request).account
    operators.account_operator_set(
        actor=steward,
        account=account,
        user=ana,
        can_view=True,
        can_pay=True,
        can_request=True,
        reason="co-op steward",
    )
    return account


def _pay_in(users: dict[str, Any]) -> dict[str, Any]:
    """Cash paid in at the bakery's till: each member's EUR-COOP account is credited from
    the currency's network account (which stands for the euros held in the bank)."""
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services as ledger
    from solidaria.ledger.locks import network_account

    currency = _currency()
    accounts = {}
    for name in MEMBERS:
        accounts[name] = ledger.account_open(actor=SYSTEM, currency=currency, owner=users[name])
        ledger.transfer_create(
            actor=SYSTEM,
            payer=network_account(currency),
            payee=accounts[name],
            amount_minor=150_000,
            memo="cash paid in at the bakery",
            category="deposit",
            key=f"demo-coop-in-{name}",
        )
    return accounts


# (member, amount in cents, number of weekly purchases) paid to the co-op's account
PURCHASES = [
    ("ana", 1_400, 3),
    ("bilal", 1_150, 3),
    ("chen", 1_600, 2),
    ("dolores", 4_320, 4),
    ("emeka", 3_150, 3),
    ("farah", 5_980, 4),
]
# (payer, baker, minutes, memo) in the time bank: neighbours paying bakers' hours
SHIFTS = [
    ("dolores", "ana", 180, "Baking class for the school"),
    ("emeka", "bilal", 150, "Birthday cakes"),
    ("farah", "chen", 120, "Bread-making workshop"),
    ("farah", "ana", 60, "Sourdough starter lesson"),
]


def _trade(users: dict[str, Any], accounts: dict[str, Any], coop_account: Any) -> None:
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Account, Currency

    for name, amount, weeks in PURCHASES:
        for week in range(weeks):
            ledger.transfer_create(
                actor=users[name],
                payer=accounts[name],
                payee=coop_account,
                amount_minor=amount,
                memo="bread for the week",
                category="food",
                key=f"demo-coop-bread-{name}-{week}",
            )
    hours = Currency.objects.get(code=HOURS)
    for n, (payer, baker, minutes, memo) in enumerate(SHIFTS):
        ledger.transfer_create(
            actor=users[payer],
            payer=Account.objects.get(currency=hours, owner=users[payer], kind="member"),
            payee=Account.objects.get(currency=hours, owner=users[baker], kind="member"),
            amount_minor=minutes,
            memo=memo,
            category="baking",
            key=f"demo-coop-shift-{n}",
        )


def _shares(users: dict[str, Any], members: dict[str, Any], share: Any) -> None:
    """Shares paid on the ledger: some at once, some by payment request (one of dolores's
    still open); chen sells 2 to farah; the co-op pays ana 4 back."""
    from solidaria.ledger import payment_requests

    sub = ShareOrder.Kind.SUBSCRIPTION
    for name, quantity in [("ana", 20), ("bilal", 12), ("emeka", 2), ("farah", 1)]:
        services.shares_pay_now(
            actor=users[name],
            kind=sub,
            membership=members[name],
            share_type=share,
            quantity=quantity,
            key=f"demo-shares-{name}",
        )
    for name, quantity in [("chen", 10), ("dolores", 3)]:
        order = services.shares_request_payment(
            actor=users["ana"],
            kind=sub,
            membership=members[name],
            share_type=share,
            quantity=quantity,
        )
        payment_requests.request_accept(actor=users[name], request=order.payment_request)
    services.shares_request_payment(  # dolores asks for 2 more: waiting for her payment
        actor=users["dolores"],
        kind=sub,
        membership=members["dolores"],
        share_type=share,
        quantity=2,
    )
    services.shares_transfer(
        actor=users["chen"],
        seller=members["chen"],
        buyer=members["farah"],
        share_type=share,
        quantity=2,
        memo="sold to a neighbour",
    )
    services.shares_pay_now(
        actor=users["ana"],
        kind=ShareOrder.Kind.REDEMPTION,
        membership=members["ana"],
        share_type=share,
        quantity=4,
        memo="part refund",
        key="demo-shares-ana-back",
    )


def _load(users: dict[str, Any], stdout: Any) -> tuple[Any, Any]:
    from solidaria.governance.services.setup import coop_found
    from solidaria.ledger.models import Currency

    steward = users[STEWARD]
    coop = coop_found(
        actor=steward,
        organisation=None,
        new_organisation_name="Bread & Roses Bakery Co-op",
        slug=SLUG,
        description="A multi-stakeholder bakery: the bakers and the neighbours who buy the bread.",
        currency=_currency(),
        classes=[("workers", 2), ("consumers", 1)],
    )
    workers = coop.classes.get(name="workers")
    consumers = coop.classes.get(name="consumers")
    members = {
        name: services.membership_add(
            actor=steward,
            coop=coop,
            user=users[name],
            member_class=workers if name in WORKERS else consumers,
            is_coop_steward=name == "ana",
        )
        for name in MEMBERS
    }
    coop_account = _coop_account(coop, steward, users["ana"])
    accounts = _pay_in(users)
    share = services.share_type_create(
        actor=steward, coop=coop, name="A", nominal_minor=5_000, min_holding=1, max_holding=40
    )
    _shares(users, members, share)
    _trade(users, accounts, coop_account)

    closes = timezone.now() + dt.timedelta(days=7)
    proposal = services.poll_create(
        actor=steward,
        coop=coop,
        kind=Poll.Kind.PROPOSAL,
        title="Open a second shop on Mill Street",
        body="Rent 900 a month; two more bakers from September.",
        closes_at=closes,
        settings={"quorum": "1/2", "threshold": "1/2", "comparison": ">", "tie_rule": "fails"},
    )
    for name, vote in zip(MEMBERS, ["yes", "yes", "no", "yes", "abstain", "yes"], strict=True):
        services.vote_cast(actor=users[name], poll=proposal, choice={"vote": vote})
    services.poll_close(actor=steward, poll=proposal)
    services.outcome_add(
        actor=steward,
        poll=proposal,
        statement="Passed. Ana and Dolores look for the lease; report at the June meeting.",
    )

    board = services.poll_create(
        actor=steward,
        coop=coop,
        kind=Poll.Kind.STV,
        title="Board election 2025 (2 seats)",
        closes_at=closes,
        options=["ana", "bilal", "dolores", "emeka"],
        seats=2,
        is_anonymous=True,
        is_results_hidden=True,
        settings={"method": "stv-scottish"},
    )
    rankings = {
        "ana": ["ana", "dolores"],
        "bilal": ["bilal", "ana"],
        "chen": ["ana", "bilal", "emeka"],
        "dolores": ["dolores", "emeka"],
        "emeka": ["emeka", "dolores", "ana"],
        "farah": ["dolores", "ana"],
    }
    for name, ranking in rankings.items():
        services.vote_cast(actor=users[name], poll=board, choice={"ranking": ranking})
    services.poll_close(actor=steward, poll=board)

    consent = services.poll_create(
        actor=steward,
        coop=coop,
        kind=Poll.Kind.CONSENT,
        title="Switch to organic rye flour",
        body="Costs 4 % more; our miller can deliver from next month.",
        closes_at=closes,
    )
    services.vote_cast(actor=users["bilal"], poll=consent, choice={"position": "consent"})

    # This year's surplus: patronage from the ledger, accepted by the general assembly.
    year = timezone.localdate().year
    services.bylaws_create(
        actor=steward,
        coop=coop,
        data=json.loads(BYLAWS.read_text()),
        effective_from=dt.date(2025, 1, 1),
    )
    assembly = {
        **json.loads(BYLAWS.read_text()),
        "version": f"{year}-assembly",
        "acceptance": "general-assembly",
        "assembly_quorum": "50",
        "assembly_threshold": "50",
    }
    bylaws = services.bylaws_create(
        actor=steward, coop=coop, data=assembly, effective_from=dt.date(year, 1, 1)
    )
    run = services.allocation_run_from_ledger(
        actor=steward,
        coop=coop,
        year=year,
        surplus_minor=243_177,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        hours_currency=Currency.objects.get(code=HOURS),
        include_purchases=True,
        bylaws=bylaws,
    )
    poll = services.allocation_poll_open(actor=steward, run=run, closes_at=closes)
    for name, vote in zip(MEMBERS, ["yes", "yes", "yes", "yes", "abstain", "yes"], strict=True):
        services.vote_cast(actor=users[name], poll=poll, choice={"vote": vote})
    services.poll_close(actor=steward, poll=poll)
    stdout.write(
        f"  co-op '{coop.name}' (directory organisation, EUR-COOP account {coop_account.pk}): "
        f"{len(members)} members in 2 classes, {coop.register.count()} register entries "
        f"paid on the ledger, 4 polls, allocation run #{run.pk} from the ledger"
    )
    return run, poll
