"""Test data: the validate message a trunk relays to leaf B for A/alice → B/bob."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


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
