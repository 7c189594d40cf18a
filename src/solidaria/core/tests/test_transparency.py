"""The public transparency page: aggregates only, cached briefly, with the checkpoint."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from solidaria.accounts.models import User
from solidaria.core import transparency
from solidaria.core.tests.network import build

pytestmark = pytest.mark.django_db


def test_a_visitor_reads_the_network_in_figures(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    build(member, other_member, steward, published=True)

    response = client.get(reverse("transparency"))
    body = response.content.decode()

    assert response.status_code == 200
    assert "The network in figures" in body
    assert "Sol (SOL)" in body
    assert "2.50 SOL" in body  # the one payment's volume
    assert "<svg" in body and "Volume per month" in body
    assert "solidaria ledger verify --checkpoints" in body
    assert "ada" not in body and "bo</" not in body  # no one's name


def test_figures_count_members_accounts_transfers_and_turnout(
    member: User, other_member: User, steward: User
) -> None:
    build(member, other_member, steward, published=True)

    figures = transparency.compute()

    assert figures.members == 3  # ada, bo and the steward
    [sol] = figures.currencies
    assert (sol.code, sol.accounts, sol.transfers, sol.volume_minor) == ("SOL", 2, 1, 250)
    assert sum(m.volume_minor for m in sol.months) == 250
    assert max(m.bar_width for m in sol.months) == transparency.CHART_WIDTH - 100
    [park] = figures.turnout
    assert (park.slug, park.ballots, park.eligible, park.percent_text) == ("park", 1, 3, "33.3 %")


def test_members_only_processes_are_left_out_of_the_turnout(
    member: User, other_member: User, steward: User
) -> None:
    from solidaria.budgeting.models import Process

    build(member, other_member, steward, published=True)
    Process.objects.filter(slug="park").update(visibility="members")

    assert transparency.compute().turnout == []


def test_the_latest_checkpoint_is_shown_with_its_digest(
    client: Client, member: User, other_member: User, steward: User
) -> None:
    from solidaria.ledger.checkpoints import take_checkpoint

    build(member, other_member, steward)
    checkpoint = take_checkpoint()

    body = client.get(reverse("transparency")).content.decode()

    assert checkpoint.head_hash in body
    assert checkpoint.mac in body


def test_the_figures_are_cached_briefly(member: User, other_member: User, steward: User) -> None:
    from solidaria.ledger.models import Account

    build(member, other_member, steward)
    first = transparency.figures()
    Account.objects.filter(owner=member).update(is_active=False)

    assert transparency.figures() == first  # from the cache
    cache.delete(transparency.CACHE_KEY)
    assert transparency.figures().currencies[0].accounts == 1


def test_percentages_round_half_up_in_integers() -> None:
    assert transparency._percent(1, 3) == "33.3 %"
    assert transparency._percent(2, 3) == "66.7 %"
    assert transparency._percent(1, 8) == "12.5 %"
    assert transparency._percent(3, 3) == "100.0 %"


@given(st.integers(min_value=1, max_value=10**9), st.data())
def test_a_percentage_is_the_exact_share_rounded_half_up(whole: int, data: st.DataObject) -> None:
    part = data.draw(st.integers(min_value=0, max_value=whole))
    exact = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert transparency._percent(part, whole) == f"{exact} %"
