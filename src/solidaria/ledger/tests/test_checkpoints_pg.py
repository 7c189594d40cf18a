"""PostgreSQL: a checkpoint waits for the payments in flight, so it never pins a journal
that a payment still uncommitted (with a lower entry id) would later change."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import checkpoints, services
from solidaria.ledger.models import Account, Checkpoint, Currency, Entry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_checkpoint_waits_for_a_payment_in_flight(
    member: User, ada_acc: Account, bo_acc: Account, credits: Currency
) -> None:
    dee = services.account_open(actor=make_member(username="dee"), currency=credits)
    network = services.network_account(credits)
    paid, release = threading.Event(), threading.Event()
    made: list[Checkpoint] = []
    errors: list[BaseException] = []

    def slow_payment() -> None:  # entries written, not yet committed
        try:
            with transaction.atomic():
                services.transfer_create(
                    actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="slow"
                )
                paid.set()
                release.wait(10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            paid.set()
        finally:
            connections.close_all()

    def checkpoint() -> None:
        try:
            made.append(checkpoints.take_checkpoint())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # given a payment holding its entries (the lower ids) uncommitted
    first = threading.Thread(target=slow_payment)
    first.start()
    assert paid.wait(10)
    # and a later payment, on other accounts, committed (the higher ids)
    services.transfer_create(actor=SYSTEM, payer=network, payee=dee, amount_minor=50, key="fast")
    # when a checkpoint is taken, then it waits for the payment in flight
    taker = threading.Thread(target=checkpoint)
    taker.start()
    taker.join(0.5)
    waited = taker.is_alive()
    release.set()
    first.join(10)
    taker.join(10)
    assert errors == []
    assert waited
    # and it covers all four entries, and today's journal matches it
    assert [c.entry_count for c in made] == [Entry.objects.count()] == [4]
    report = checkpoints.verify_checkpoints(checkpoints.published_list())
    assert (report.ok, report.checked) == (True, 1)
