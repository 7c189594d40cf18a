"""Discussion fixtures: an offer by ada, a budgeting project, a poll in ada's co-op and an
organisation ada proposed; the throttle's counters start empty in every test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM
from solidaria.ledger.models import Currency, Listing


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sol(db: None) -> Currency:
    from solidaria.ledger import services

    return services.currency_create(
        actor=SYSTEM, code="SOL", name="Sol", exponent=2, default_credit_limit=10_000
    )


@pytest.fixture
def offer(member: User, sol: Currency) -> Listing:
    from solidaria.ledger.listings import listing_create

    return listing_create(
        actor=member,
        kind="offer",
        title="Sourdough bread",
        category="food",
        description="Two loaves a week",
        price="4.50",
        currency=sol,
    )


@pytest.fixture
def want(member: User, sol: Currency) -> Listing:
    from solidaria.ledger.listings import listing_create

    return listing_create(
        actor=member,
        kind="want",
        title="Bike repair",
        category="repairs",
        description="A flat tyre",
        price="10",
        currency=sol,
    )


@pytest.fixture
def accounts(member: User, other_member: User, sol: Currency) -> dict[str, Any]:
    from solidaria.ledger import services

    return {
        user.username: services.account_open(actor=SYSTEM, currency=sol, owner=user)
        for user in (member, other_member)
    }


@pytest.fixture
def project(member: User, steward: User) -> Any:
    from solidaria.budgeting import services as pb

    process = pb.process_create(
        actor=steward, settings=pb.ProcessSettings(title="Neighbourhood fund", budget_minor=1000)
    )
    return pb.project_submit(actor=member, process=process, title="Benches", cost_minor=400)


@pytest.fixture
def coop(member: User, steward: User) -> Any:
    from solidaria.governance import services as gov

    bread = gov.coop_create(actor=steward, name="Bread", slug="bread", classes=[("workers", 1)])
    gov.membership_add(actor=steward, coop=bread, user=member, member_class=bread.classes.get())
    return bread


@pytest.fixture
def poll(coop: Any, steward: User) -> Any:
    from solidaria.governance import services as gov

    return gov.poll_create(
        actor=steward,
        coop=coop,
        kind="proposal",
        title="A new oven",
        closes_at=timezone.now() + dt.timedelta(days=3),
    )


@pytest.fixture
def proposed_org(member: User) -> Any:
    from solidaria.directory import services as directory

    return directory.organisation_create(actor=member, data={"name": "Ada's Bakery"})
