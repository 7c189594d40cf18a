"""Demo: a bakery co-op with workers and consumers, a share register, a closed proposal,
a board election by Scottish STV, an open consent poll and an applied surplus allocation.
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
from solidaria.governance.models import Cooperative, Poll

SLUG = "bread-and-roses"
WORKERS = ["ana", "bilal", "chen"]
CURRENCY = "EUR-COOP"
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
    users = demo_users()
    with transaction.atomic():
        _load(users, stdout)


def _load(users: dict[str, Any], stdout: Any) -> None:
    steward = users[STEWARD]
    coop = services.coop_create(
        actor=steward,
        name="Bread & Roses Bakery Co-op",
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

    share = services.share_type_create(
        actor=steward, coop=coop, name="A", nominal_minor=5_000, min_holding=1, max_holding=40
    )
    for name, quantity in zip(MEMBERS, [20, 12, 10, 3, 2, 1], strict=True):
        services.shares_subscribe(
            actor=steward, membership=members[name], share_type=share, quantity=quantity
        )
    services.shares_transfer(
        actor=users["chen"],
        seller=members["chen"],
        buyer=members["farah"],
        share_type=share,
        quantity=2,
        memo="sold to a neighbour",
    )
    services.shares_redeem(
        actor=steward, membership=members["ana"], share_type=share, quantity=4, memo="part refund"
    )

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

    bylaws = services.bylaws_create(
        actor=steward,
        coop=coop,
        data=json.loads(BYLAWS.read_text()),
        effective_from=dt.date(2025, 1, 1),
    )
    patronage = [
        services.PatronageRow("ana", 1_650 * 60, 42_000),
        services.PatronageRow("bilal", 1_540 * 60, 38_500),
        services.PatronageRow("chen", 820 * 60, 21_000),
        services.PatronageRow("dolores", 0, 186_040),
        services.PatronageRow("emeka", 0, 97_315),
        services.PatronageRow("farah", 40 * 60, 143_280),
    ]
    run = services.allocation_run_create(
        actor=steward,
        coop=coop,
        year=2025,
        surplus_minor=2_431_777,
        patronage=patronage,
        bylaws=bylaws,
    )
    services.allocation_accept(actor=steward, run=run)
    stdout.write(
        f"  co-op '{coop.name}': {len(members)} members in 2 classes, "
        f"{coop.register.count()} register entries, 3 polls, allocation run #{run.pk} applied"
    )
