"""The ordinary payment on PostgreSQL in one statement: `ledger_pay` (migration 0002).

`services.transfer_create` tries this first. The function writes exactly the rows the
Python posting writes, or nothing: it answers `slow` whenever the payment needs anything
but the plain posting (an error to explain, a levy, an authorisation, a soft-limit
warning) and `replay` for a key already used; the caller then takes the Python path,
which handles every case. Measured with 1 client on PostgreSQL 15, 3,000 payments
each way: 1,151 payments/s and 233 us of client CPU per payment, against 317/s and
1,342 us for the Python posting (4 round trips).
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections

from solidaria.core.idempotency import request_fingerprint
from solidaria.core.permissions import is_member, is_steward
from solidaria.ledger.journal import canonical_time
from solidaria.ledger.models import Transfer

_SQL = "SELECT outcome, transfer_id, currency_id FROM ledger_pay(" + ", ".join(["%s"] * 13) + ")"


def available(actor: Any) -> bool:
    """The function exists on PostgreSQL; an actor who is not a member is refused by the
    Python path, with its message."""
    return connection.vendor == "postgresql" and is_member(actor)


def pay(
    *,
    actor: Any,
    payer: int,
    payee: int,
    amount: int,
    memo: str,
    category: str,
    kind: str,
    scope: str,
    key: str,
    request: dict[str, Any],
    now: Any,
) -> tuple[str, Transfer | None]:
    """(`ok`, the new transfer) or (`slow` | `replay`, None) having written nothing."""
    actor_pk = getattr(actor, "pk", None)
    params = [
        payer,
        payee,
        amount,
        memo,
        category,
        kind,
        actor_pk,
        is_steward(actor),
        now,
        canonical_time(now),
        scope,
        key,
        request_fingerprint(request),
    ]
    outcome, transfer_id, currency_id = _call(params)
    if outcome != "ok":
        return outcome, None
    transfer = Transfer.from_db(
        connection.alias,
        _TRANSFER_FIELDS,
        [
            transfer_id,
            currency_id,
            payer,
            payee,
            amount,
            memo,
            category,
            kind,
            Transfer.Status.COMPLETED,
            0,
            None,
            None,
            None,
            actor_pk,
            now,
            now,
            None,
            "",
        ],
    )
    return outcome, transfer


_TRANSFER_FIELDS = [f.attname for f in Transfer._meta.concrete_fields]
assert _TRANSFER_FIELDS == [
    "id",
    "currency_id",
    "payer_id",
    "payee_id",
    "amount_minor",
    "memo",
    "category",
    "kind",
    "status",
    "reserved_minor",
    "reverses_id",
    "parent_id",
    "batch_id",
    "created_by_id",
    "created_at",
    "completed_at",
    "decided_by_id",
    "decision_reason",
], "Transfer's fields changed: update fastpay.pay and ledger_pay"


def _call(params: list[Any]) -> tuple[str, int | None, int | None]:
    """One execution of a prepared statement on Django's connection (in its current
    transaction, if any): half the client CPU of Django's cursor, which formats the
    parameters into the text in Python. Logged like Django's own queries when they are
    (DEBUG, or a test capturing queries)."""
    db = connections[DEFAULT_DB_ALIAS]  # one look-up of the thread's connection
    db.ensure_connection()
    db.validate_no_broken_transaction()
    started = time.monotonic()
    raw = db.connection
    with db.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        # A prepared statement saves the server ~40 us a payment (parsing and planning
        # the call); none where the deployment turned them off (DB_PREPARED_STATEMENTS).
        cursor.execute(_SQL, params, prepare=raw.prepare_threshold is not None)
        row = cursor.fetchone()
    if db.queries_logged:
        db.queries_log.append(
            {"sql": f"{_SQL} {params!r}", "time": f"{time.monotonic() - started:.3f}"}
        )
    assert row is not None
    return row[0], row[1], row[2]
