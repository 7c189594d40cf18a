"""Test data: the validate message a trunk relays to leaf B for A/alice → B/bob, and the
headers that sign a message as the test client takes them."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from django.utils import timezone

from solidaria.creditcommons import engine
from solidaria.creditcommons.tests.conftest import SECRET


def validate_message(txid: str) -> dict[str, Any]:
    """20.00 from A/alice to B/bob (40.00 at B), deadline in a minute."""
    return {
        "txid": txid,
        "payer": "A/alice",
        "payee": "B/bob",
        "amount": 2000,
        "amount_to": 4000,
        "exponent": 2,
        "memo": "",
        "deadline": (timezone.now() + dt.timedelta(seconds=60)).isoformat(),
    }


def signed_headers(
    path: str, body: bytes, *, sender: str, nonce: str = "", signed_nonce: str | None = None
) -> dict[str, str]:
    """`X-CC-*` headers signing `body` for `path` as from `sender`, now; a fresh nonce
    unless given, signed unless `signed_nonce` says another one."""
    ts = str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex
    signed = nonce if signed_nonce is None else signed_nonce
    return {
        "HTTP_X_CC_NODE": sender,
        "HTTP_X_CC_TIMESTAMP": ts,
        "HTTP_X_CC_NONCE": nonce,
        "HTTP_X_CC_SIGNATURE": engine.signature(
            SECRET, "POST", path, ts, body, sender=sender, nonce=signed
        ),
    }
