"""Fast bulk writes for imports and the map grid: executemany with reserved ids.

Django's bulk_create sends ~30 rows per statement on SQLite and bulk_update builds a
CASE per field and row; both spend far more time building SQL than the database spends
writing. Callers run these inside a transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.utils import timezone


def _prep(field: models.Field[Any, Any], value: Any) -> Any:
    if (
        value is None
        or isinstance(value, (str, int, float))
        and not isinstance(field, models.JSONField)
    ):
        return value
    return field.get_db_prep_save(value, connection)


def _reserve_ids(table: str, count: int) -> list[int]:
    """Primary keys for rows we insert ourselves, inside the caller's transaction: the
    sequence on PostgreSQL; on SQLite the write lock (IMMEDIATE transactions) makes
    max(id)+1.. safe."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0), "
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def fast_insert(objs: list[models.Model]) -> None:
    """INSERT with executemany and reserved ids (sets each object's pk): bulk_create
    spends most of its time building SQL, ~30 rows per statement on SQLite."""
    if not objs:
        return
    meta = objs[0]._meta
    model_fields = [f for f in meta.concrete_fields if not f.primary_key]
    ids = _reserve_ids(meta.db_table, len(objs))
    now = timezone.now()
    qn = connection.ops.quote_name
    columns = [meta.pk, *model_fields]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(meta.db_table),
        ", ".join(qn(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    params = []
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        for f in model_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(obj, f.attname, now)
        params.append([pk, *(_prep(f, getattr(obj, f.attname)) for f in model_fields)])
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def fast_update(objs: list[models.Model], fields: list[str]) -> None:
    """UPDATE ... WHERE id=%s with executemany: Django's bulk_update builds one CASE per
    field and row, which is ~50x slower for a few thousand rows."""
    if not objs:
        return
    meta = objs[0]._meta
    model_fields = [meta.get_field(f) for f in fields]
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in model_fields),
        qn(meta.pk.column),
    )
    params = [[_prep(f, getattr(obj, f.attname)) for f in model_fields] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
