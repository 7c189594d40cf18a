"""Races on PostgreSQL: two first comments on one parent make one thread; two payment
requests sent at once in one conversation make one request (the conversation row is
locked before the open-request check)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from solidaria.accounts.factories import make_member
from solidaria.core.errors import Conflict
from solidaria.core.permissions import SYSTEM
from solidaria.core.tests.concurrency import race_each
from solidaria.discussion import services
from solidaria.discussion.models import Comment, Message, Thread
from solidaria.ledger import services as ledger
from solidaria.ledger.listings import listing_create
from solidaria.ledger.models import PaymentRequest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 8


def _world() -> tuple[Any, Any, Any]:
    cache.clear()
    ada, bo = make_member("ada"), make_member("bo")
    sol = ledger.currency_create(
        actor=SYSTEM, code="SOL", name="Sol", exponent=2, default_credit_limit=10_000
    )
    for user in (ada, bo):
        ledger.account_open(actor=SYSTEM, currency=sol, owner=user)
    offer = listing_create(
        actor=ada,
        kind="offer",
        title="Bread",
        category="food",
        description="Rye",
        price="4",
        currency=sol,
    )
    return ada, bo, offer


def test_concurrent_first_comments_make_one_thread() -> None:
    assert connection.vendor == "postgresql"
    _ada, _bo, offer = _world()
    people = [make_member(f"p{i}") for i in range(WORKERS)]

    results = race_each(
        lambda i: services.comment_post(actor=people[i], parent=offer, body=f"First? {i}"),
        workers=WORKERS,
    )

    assert [r for r in results if not isinstance(r, Comment)] == []
    assert Thread.objects.count() == 1
    assert Comment.objects.filter(thread=Thread.objects.get()).count() == WORKERS


def test_concurrent_payment_requests_in_one_conversation_make_one() -> None:
    assert connection.vendor == "postgresql"
    ada, bo, offer = _world()
    conversation = services.conversation_start(actor=bo, listing=offer, body="Two?").conversation

    results = race_each(
        lambda i: services.payment_request_send(actor=ada, conversation=conversation.pk),
        workers=WORKERS,
    )

    made = [r for r in results if isinstance(r, Message)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(made), len(refused)) == (1, WORKERS - 1)
    assert PaymentRequest.objects.count() == 1
    assert PaymentRequest.objects.get().amount_minor == 400
