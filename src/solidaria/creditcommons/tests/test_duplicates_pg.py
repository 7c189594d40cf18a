"""The same message delivered several times at once on PostgreSQL: a validate is inserted
first and relies on the unique global id, so the copies that lose the race must roll back
everything they wrote and answer the stored state — one posting, whatever the timing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection

from solidaria.core.permissions import SYSTEM
from solidaria.core.tests.concurrency import race_each
from solidaria.creditcommons import services, transport
from solidaria.creditcommons.models import LinkEntry, RemoteTransaction
from solidaria.creditcommons.tests.conftest import SECRET, currency, member_account
from solidaria.creditcommons.tests.messages import validate_message
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Transfer

WORKERS = 6

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _link(role: str, slug: str, code: str, rate: str) -> Any:
    return services.link_add(
        actor=SYSTEM, role=role, slug=slug, url=f"http://{slug.lower()}.example/cc/",
        secret=SECRET, currency_code=code, rate=rate,
    )  # fmt: skip


def _assert_verifies() -> None:
    report = verify()
    assert report.ok, [p.message for p in report.problems]


def test_copies_of_one_validate_at_the_destination_post_once(node: Any) -> None:
    assert connection.vendor == "postgresql"
    node("B")
    bcr = currency("BCR")
    bob = member_account("bob", bcr)
    link = _link("trunk", "T", "BCR", "1/2")
    txid = str(uuid.uuid4())
    answers = race_each(
        lambda i: services.handle(link, "validate", validate_message(txid)), workers=WORKERS
    )
    assert [a["state"] for a in answers] == ["completed"] * WORKERS
    assert Account.objects.get(pk=bob.pk).balance == 4000
    assert Transfer.objects.filter(kind=Transfer.Kind.REMOTE).count() == 1
    assert LinkEntry.objects.count() == 1
    _assert_verifies()


def test_copies_of_one_validate_at_a_relay_hold_and_relay_once(node: Any, neighbours: Any) -> None:
    assert connection.vendor == "postgresql"
    node("T")
    currency("TRK")
    link_a = _link("leaf", "A", "TRK", "2")
    link_b = _link("leaf", "B", "TRK", "1/2")
    neighbours.replies[("B", "validate")] = {"state": "completed"}
    transport.use(neighbours)
    txid = str(uuid.uuid4())
    message = {**validate_message(txid), "amount": 1000, "amount_to": 2000}
    answers = race_each(lambda i: services.handle(link_a, "validate", message), workers=WORKERS)
    # the first copy relays and completes; the others get the stored state of that moment
    assert {a["state"] for a in answers} <= {"initiated", "completed"}
    assert neighbours.ops().count(("B", "validate")) == 1
    assert RemoteTransaction.objects.get(txid=txid).state == "completed"
    assert Account.objects.get(pk=link_a.account_id).balance == -2000
    assert Account.objects.get(pk=link_b.account_id).balance == 2000
    assert LinkEntry.objects.count() == 2
    _assert_verifies()


def test_a_validate_racing_an_erase_of_its_id_either_posts_or_is_refused(node: Any) -> None:
    """Recovery upstream asks to erase an id whose validate is still on its way: the
    destination answers both the same, and posts only if it answered completed."""
    assert connection.vendor == "postgresql"
    node("B")
    bcr = currency("BCR")
    bob = member_account("bob", bcr)
    link = _link("trunk", "T", "BCR", "1/2")
    ops = ["validate", "erase"] * (WORKERS // 2)
    for _round in range(4):
        txid = str(uuid.uuid4())
        answers = race_each(
            lambda i, txid=txid: services.handle(
                link, ops[i], validate_message(txid) if ops[i] == "validate" else {"txid": txid}
            ),
            workers=WORKERS,
        )
        states = {a["state"] for a in answers}
        assert len(states) == 1, answers
        assert RemoteTransaction.objects.get(txid=txid).state == states.pop()
    completed = RemoteTransaction.objects.filter(state="completed").count()
    assert Transfer.objects.filter(kind=Transfer.Kind.REMOTE).count() == completed
    assert Account.objects.get(pk=bob.pk).balance == 4000 * completed
    _assert_verifies()
