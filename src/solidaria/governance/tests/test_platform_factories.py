"""Builders shared by the platform tests: a co-op with two member classes, members,
a share type, bylaws and a currency. Plain functions (no fixtures) so each test module
states its own given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.models import AuditEvent
from solidaria.governance import services
from solidaria.governance.models import (
    AllocationAcceptance,
    AllocationLine,
    AllocationRun,
    Ballot,
    BylawsVersion,
    CapitalEntry,
    Cooperative,
    MemberClass,
    Membership,
    OutcomeVersion,
    Participation,
    Poll,
    PollResult,
    ShareType,
)

BYLAWS = {
    "version": "2025-1",
    "reserves": "30",
    "indivisible_reserves": "50",
    "social_fund": "10",
    "members": "60",
    "patronage_basis": "mixed",
    "mixed_weights": {"hours": "70", "purchases": "30"},
    "cash": "30",
    "minimum_cash": "20",
    "collective_account": "collective",
}


@dataclass
class World:
    coop: Cooperative
    workers: MemberClass
    consumers: MemberClass
    worker: Membership
    consumer: Membership
    share: ShareType
    steward: User
    stranger: User


def currency() -> Any:
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Currency

    found = Currency.objects.filter(code="TST").first()
    return found or ledger.currency_create(
        actor=SYSTEM, code="TST", name="Test euro", default_credit_limit=0
    )


def make_world(member: User, other_member: User, steward: User) -> World:
    """ada is a worker (weight 2), bo a consumer (weight 1); carol is no member."""
    coop = services.coop_create(
        actor=steward,
        name="Bread & Roses",
        slug="bread",
        currency=currency(),
        classes=[("workers", 2), ("consumers", 1)],
    )
    workers = coop.classes.get(name="workers")
    consumers = coop.classes.get(name="consumers")
    worker = services.membership_add(actor=steward, coop=coop, user=member, member_class=workers)
    consumer = services.membership_add(
        actor=steward, coop=coop, user=other_member, member_class=consumers
    )
    share = services.share_type_create(
        actor=steward, coop=coop, name="A", nominal_minor=5000, min_holding=1, max_holding=20
    )
    stranger = make_member(username="carol", email="c@example.org", password="pw")
    return World(coop, workers, consumers, worker, consumer, share, steward, stranger)


def in_a_week() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=7)


STATE_MODELS = [
    Cooperative,
    MemberClass,
    Membership,
    ShareType,
    CapitalEntry,
    Poll,
    Participation,
    Ballot,
    PollResult,
    OutcomeVersion,
    BylawsVersion,
    AllocationRun,
    AllocationLine,
    AllocationAcceptance,
    AuditEvent,
]


def snapshot() -> dict[str, Any]:
    """Every governance row (and the audit journal), to prove a refusal changed nothing."""
    from solidaria.ledger.models import Entry, Transfer

    state: dict[str, Any] = {}
    for model in [*STATE_MODELS, Transfer, Entry]:
        state[model._meta.label] = sorted(
            (tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()),
        )
    return state
