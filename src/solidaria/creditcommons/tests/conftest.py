"""One node at a time: its neighbours are scripted stand-ins behind `transport.use`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from solidaria.accounts.factories import make_member
from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import transport
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, Currency

SECRET = "a-shared-secret-of-the-link-0123"


class Neighbours:
    """Records every outbound message; `replies[(slug, op)]` answers it (a dict, an
    exception to raise, or a callable of the payload); an unscripted message is refused
    at the connection (`NotDelivered`)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.replies: dict[tuple[str, str], Any] = {}

    def __call__(self, link: Any, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.sent.append((link.slug, op, payload))
        reply = self.replies.get((link.slug, op))
        if reply is None:
            raise transport.NotDelivered("no answer scripted: nobody listens")
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return dict(reply(payload))
        return {"txid": payload.get("txid"), **reply}

    def ops(self) -> list[tuple[str, str]]:
        return [(slug, op) for slug, op, _payload in self.sent]


@pytest.fixture
def neighbours() -> Iterator[Neighbours]:
    fake = Neighbours()
    transport.use(fake)
    yield fake
    transport.use(None)


@pytest.fixture
def node(settings: Any) -> Callable[[str], None]:
    def become(slug: str) -> None:
        settings.SOLIDARIA = {**settings.SOLIDARIA, "NETWORK_SLUG": slug, "CC_TIMEOUT": 60}

    return become


def currency(code: str) -> Currency:
    return ledger.currency_create(actor=SYSTEM, code=code, name=code, exponent=2)


def member_account(username: str, cur: Currency, limit: int = 100_000) -> Account:
    user = make_member(username)
    account = ledger.account_open(actor=SYSTEM, currency=cur, owner=user)
    return ledger.account_limits_set(
        actor=SYSTEM, account=account, credit_limit=limit, upper_limit=None, reason="test"
    )
