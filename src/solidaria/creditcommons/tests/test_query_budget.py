"""The cost of one hop of a cross-network payment, in database round trips: an upper bound
per node role (origin through the payments API, relay, destination), so that a change
that adds queries to the payment's path shows up here instead of in the latency bench.

Counted with every statement the request sends, BEGIN and COMMIT included, on a real
transaction (not the test's wrapping one). PostgreSQL buffers a hop's writes into one
round trip (`ledger.writes.Writes`); SQLite runs them one by one, hence its own bounds.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import afterwards, services
from solidaria.creditcommons.tests.conftest import SECRET, currency, member_account
from solidaria.creditcommons.tests.messages import signed_headers, validate_message
from solidaria.ledger import services as ledger
from solidaria.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)

# (queries, commits) per hop, measured when the bound was set; PostgreSQL, then SQLite.
# A hop that receives a signed message spends its nonce first: BEGIN, (PostgreSQL: SET
# LOCAL synchronous_commit TO OFF), INSERT, COMMIT (`creditcommons.nonces`).
BUDGET = {
    "postgresql": {"destination": (12, 2), "relay": (18, 3), "origin": (17, 2)},
    "sqlite": {"destination": (16, 2), "relay": (24, 3), "origin": (23, 2)},
}


def _signed(client: Client, op: str, payload: dict[str, Any], sender: str) -> Any:
    body, path = json.dumps(payload).encode(), f"/cc/{op}"
    return client.post(
        path,
        data=body,
        content_type="application/json",
        **signed_headers(path, body, sender=sender),
    )


def _validate(amount: int, amount_to: int) -> dict[str, Any]:
    return {**validate_message(str(uuid.uuid4())), "amount": amount, "amount_to": amount_to}


def _within_budget(role: str, ctx: CaptureQueriesContext, answered: int | None) -> None:
    """Only the queries before the answer count: the payee's notification comes after it
    (`afterwards`), off the payment's path."""
    queries, commits = BUDGET[connection.vendor][role]
    sent = [q["sql"] for q in ctx.captured_queries][:answered]
    assert len(sent) <= queries, "\n".join(sent)
    assert sum(1 for sql in sent if sql.strip().upper() == "COMMIT") <= commits, "\n".join(sent)


def _hop(send: Any, role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    send()  # the first payment warms the caches (the network account, the rates)
    answered: list[int] = []
    run = afterwards.run

    def mark(jobs: Any) -> None:  # where the answer is out and the work after it starts
        answered.append(len(ctx.captured_queries))
        run(jobs)

    monkeypatch.setattr(afterwards, "run", mark)
    with CaptureQueriesContext(connection) as ctx:
        send()
    _within_budget(role, ctx, answered[0] if answered else None)


def test_the_destination_hop_stays_within_its_query_budget(
    node: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    node("B")
    member_account("bob", currency("BCR"))
    services.link_add(
        actor=SYSTEM, role="trunk", slug="T", url="http://t.example/cc/", secret=SECRET,
        currency_code="BCR", rate="1/2",
    )  # fmt: skip
    client = Client()

    def send() -> None:
        assert _signed(client, "validate", _validate(20, 40), "T").json()["state"] == "completed"

    _hop(send, "destination", monkeypatch)
    # the payee was told of both payments, after each answer
    told = Notification.objects.filter(kind="ledger.payment.received", sent_at__isnull=False)
    assert told.count() == 2


def test_the_relay_hop_stays_within_its_query_budget(
    node: Any, neighbours: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    node("T")
    currency("TRK")
    for slug, rate in (("A", "2"), ("B", "1/2")):
        services.link_add(
            actor=SYSTEM, role="leaf", slug=slug, url=f"http://{slug.lower()}.example/cc/",
            secret=SECRET, currency_code="TRK", rate=rate,
        )  # fmt: skip
    neighbours.replies[("B", "validate")] = {"state": "completed"}
    client = Client()

    def send() -> None:
        assert _signed(client, "validate", _validate(10, 20), "A").json()["state"] == "completed"

    _hop(send, "relay", monkeypatch)


def test_the_origin_hop_through_the_api_stays_within_its_query_budget(
    node: Any, neighbours: Any, member: Any, member_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    node("A")
    acr = currency("ACR")
    account = ledger.account_open(actor=SYSTEM, currency=acr, owner=member)
    ledger.account_limits_set(
        actor=SYSTEM, account=account, credit_limit=10_000, upper_limit=None, reason="t"
    )
    services.link_add(
        actor=SYSTEM, role="trunk", slug="T", url="http://t.example/cc/", secret=SECRET,
        currency_code="ACR", rate="2",
    )  # fmt: skip
    neighbours.replies[("T", "validate")] = {"state": "completed"}
    client = Client(HTTP_AUTHORIZATION=f"Bearer {member_token}")

    def send() -> None:
        body = {"payer": account.pk, "payee_username": "B/bob", "amount_minor": 50}
        made = client.post("/api/ledger/transfers", body, content_type="application/json")
        assert made.status_code == 201, made.content

    _hop(send, "origin", monkeypatch)
