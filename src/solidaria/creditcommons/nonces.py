"""Single-use nonces of signed messages: a captured message sent again is refused.

The signature covers a timestamp (a message older than the replay window is refused)
and a nonce the sender draws afresh for every message. The receiver keeps the nonces it
saw, unique per link, for twice the window (a message older than the window is refused
anyway, so an older nonce cannot come back) and refuses a repeat: a handshake captured
on the wire cannot be replayed to freeze the link, nor any other message be repeated.

A handshake's nonce is committed durably. The payment messages' nonces are committed
without waiting for the disk on PostgreSQL (`synchronous_commit` off for that one
transaction): they are on every payment's path, and a crash could lose at most the last
few of them, re-opening a replay of messages that are idempotent under their global id
anyway (a repeat returns the stored state).
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.utils import timezone

from solidaria.creditcommons.engine import REPLAY_WINDOW_SECONDS
from solidaria.creditcommons.models import Link, Nonce

KEEP_SECONDS = 2 * REPLAY_WINDOW_SECONDS
PURGE_EVERY_SECONDS = 60
MAX_LENGTH = 64

_last_purge = 0.0


def claim(link: Link, value: str, *, durable: bool) -> bool:
    """Record `value` as seen from `link`; False when it was seen before (a replay)."""
    table = Nonce._meta.db_table
    now = timezone.now()
    # SET LOCAL holds for the whole transaction: never inside a caller's (its writes must be durable)
    fast = not durable and connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if fast:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # the row count, not RETURNING: SQLite has that only from 3.35 (Django 5.2: 3.31)
        cursor.execute(
            f"INSERT INTO {table} (link_id, value, seen_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (link_id, value) DO NOTHING",
            [link.pk, value, connection.ops.adapt_datetimefield_value(now)],
        )
        claimed = bool(cursor.rowcount == 1)
    _purge_now_and_then()
    return claimed


def purge(*, now: dt.datetime | None = None) -> int:
    """Forget the nonces older than twice the replay window; how many were forgotten."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=KEEP_SECONDS)
    return Nonce.objects.filter(seen_at__lt=cutoff).delete()[0]


def _purge_now_and_then() -> None:
    global _last_purge
    moment = time.monotonic()
    if moment - _last_purge >= PURGE_EVERY_SECONDS:
        _last_purge = moment
        purge()
