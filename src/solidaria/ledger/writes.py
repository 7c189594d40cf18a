"""Statements buffered during a payment and sent to the database together.

A payment writes five rows in a handful of tables (transfer, two entries, the two account
heads, its audit event, its idempotency record). Sent one by one that is five round trips,
and under load every round trip costs a wake-up of both processes. On PostgreSQL with
client-side parameter binding (Django's default for psycopg 3) `flush` sends them as one
multi-statement query — one round trip; elsewhere (SQLite, server-side binding) it runs
them one after the other. Either way they run inside the caller's transaction, in order,
and the first failing statement (a CHECK or unique constraint) raises and aborts the rest.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def _multi_statement() -> bool:
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True
    )


MAX_PARAMS_PER_QUERY = 20_000  # a bulk payment's statements go in a few large queries

_INSERT_PLANS: dict[tuple[str, type[models.Model], bool], tuple[str, list[models.Field]]] = {}


def _insert_plan(model: type[models.Model], with_pk: bool) -> tuple[str, list[models.Field]]:
    key = (connection.vendor, model, with_pk)
    plan = _INSERT_PLANS.get(key)
    if plan is None:
        qn = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        plan = _INSERT_PLANS[key] = (sql, fields)
    return plan


class Writes:
    """An ordered list of (sql, params), sent by `flush`."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list[Any]]] = []

    def clear(self) -> None:
        self.statements.clear()

    def add(self, sql: str, params: list[Any]) -> None:
        self.statements.append((sql, params))

    def insert(self, obj: models.Model) -> None:
        """INSERT one model instance (its pk must be set already, or not be needed by anyone:
        the database assigns it and it is not read back)."""
        with_pk = obj.pk is not None
        sql, fields = _insert_plan(type(obj), with_pk)
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        self.add(sql, params)
        if with_pk:
            obj._state.adding = False
            obj._state.db = connection.alias

    def flush(self) -> None:
        if not self.statements:
            return
        statements, self.statements = self.statements, []
        with connection.cursor() as cursor:
            if not _multi_statement():
                for sql, params in statements:
                    cursor.execute(sql, params)
                return
            # Bind each statement on its own (psycopg caches the parsing of a statement
            # text with few parameters, not of the long joined text), then send them
            # joined, a few large queries for a bulk payment.
            group: list[str] = []
            size = 0
            for sql, params in statements:
                group.append(cursor.mogrify(sql, params))
                size += len(params)
                if size >= MAX_PARAMS_PER_QUERY:
                    cursor.execute(";\n".join(group))
                    group, size = [], 0
            if group:
                cursor.execute(";\n".join(group))
