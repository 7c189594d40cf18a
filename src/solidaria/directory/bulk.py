"""Fast bulk writes for imports and the map grid: executemany with reserved ids.

Django's bulk_create sends ~30 rows per statement on SQLite and bulk_update builds a
CASE per field and row; both spend far more time building SQL than the database spends
writing. Values are converted with one prepared converter per column (JSON dumped,
datetimes adapted once per distinct value) instead of Field.get_db_prep_save per cell.
Callers run these inside a transaction (the deferred text indexing relies on it: a
failure rolls the whole batch back, flag included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

Converter = Callable[[Any], Any]


def _plain(value: Any) -> Any:
    return value


def _converter(field: models.Field[Any, Any]) -> Converter:
    """value -> database parameter, for one column."""
    if isinstance(field, models.JSONField):
        adapt = connection.ops.adapt_json_value
        encoder = field.encoder
        return lambda value: None if value is None else adapt(value, encoder)
    if isinstance(field, (models.DateTimeField, models.DateField, models.TimeField)):
        seen: dict[Any, Any] = {}

        def convert(value: Any) -> Any:
            if value is None:
                return None
            found = seen.get(value)
            if found is None:
                found = seen[value] = field.get_db_prep_save(value, connection)
            return found

        return convert
    if isinstance(
        field,
        (
            models.CharField,
            models.TextField,
            models.IntegerField,
            models.FloatField,
            models.AutoField,
            models.ForeignKey,
        ),
    ) and not isinstance(field, models.BooleanField):
        return _plain

    def generic(value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float)):
            return value
        return field.get_db_prep_save(value, connection)

    return generic


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


def _insert_sql(meta: Any, columns: Sequence[models.Field[Any, Any]]) -> str:
    qn = connection.ops.quote_name
    return "INSERT INTO {} ({}) VALUES ({})".format(
        qn(meta.db_table),
        ", ".join(qn(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )


# SQLite: organisations inserted in bulk enter the full-text index with one INSERT ...
# SELECT instead of the per-row trigger (migration 0003), which costs ~10x more per row,
# and get their facet keys (migration 0004) with one UPDATE.
_TEXT_INDEXED = "directory_organisation"
_FTS = "directory_organisation_fts"
_FTS_COLUMNS = "name, description, locality, tags"
_FACET_KEYS = "directory_facet_key"
_FACET_COLUMNS = "country, ica_activity, activity, structure"


def _execute_insert(table: str, sql: str, params: list[list[Any]], ids: list[int]) -> None:
    if table != _TEXT_INDEXED or connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE directory_search_sync SET deferred = 1")
        cursor.executemany(sql, params)
        cursor.execute(
            f"INSERT INTO {_FTS}(rowid, {_FTS_COLUMNS}) SELECT id, {_FTS_COLUMNS} "
            f"FROM {_TEXT_INDEXED} WHERE id >= %s AND id <= %s AND status = 'confirmed'",
            [min(ids), max(ids)],
        )
        _fill_facet_keys(cursor, min(ids), max(ids))
        cursor.execute("UPDATE directory_search_sync SET deferred = 0")


def _fill_facet_keys(cursor: Any, first: int, last: int) -> None:
    """What the per-row trigger of migration 0004 does, for the rows first..last at once."""
    org = _TEXT_INDEXED
    cursor.execute(
        f"INSERT OR IGNORE INTO {_FACET_KEYS} ({_FACET_COLUMNS}) "
        f"SELECT DISTINCT {_FACET_COLUMNS} FROM {org} WHERE id >= %s AND id <= %s",
        [first, last],
    )
    cursor.execute(
        f"UPDATE {org} SET facet_key = (SELECT k.key FROM {_FACET_KEYS} k "
        f"WHERE k.country = {org}.country AND k.ica_activity = {org}.ica_activity "
        f"AND k.activity = {org}.activity AND k.structure = {org}.structure) "
        "WHERE id >= %s AND id <= %s",
        [first, last],
    )


def fast_insert(objs: list[models.Model]) -> None:
    """INSERT with executemany and reserved ids (sets each object's pk): bulk_create
    spends most of its time building SQL, ~30 rows per statement on SQLite."""
    if not objs:
        return
    meta = objs[0]._meta
    model_fields = [f for f in meta.concrete_fields if not f.primary_key]
    ids = _reserve_ids(meta.db_table, len(objs))
    now = timezone.now()
    auto = [
        f
        for f in model_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    getters = [(f.attname, _converter(f)) for f in model_fields]
    params = []
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        for f in auto:
            setattr(obj, f.attname, now)
        values = obj.__dict__
        params.append([pk, *(convert(values[name]) for name, convert in getters)])
    _execute_insert(meta.db_table, _insert_sql(meta, [meta.pk, *model_fields]), params, ids)


def insert_values(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> list[int]:
    """INSERT rows given as {attname: value} without building model instances (missing
    fields take their defaults, auto_now fields the current time); returns the new ids
    in order."""
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    model_fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    columns = []
    for f in model_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now
        elif f.has_default():
            default = f.get_default()
        else:
            default = None if f.null else ""
        columns.append((f.attname, default, _converter(f)))
    ids = _reserve_ids(meta.db_table, len(rows))
    params = [
        [pk, *(convert(row.get(name, default)) for name, default, convert in columns)]
        for row, pk in zip(rows, ids, strict=True)
    ]
    _execute_insert(meta.db_table, _insert_sql(meta, [meta.pk, *model_fields]), params, ids)
    return ids


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
    getters = [(f.attname, _converter(f)) for f in model_fields]
    params = [[convert(obj.__dict__[name]) for name, convert in getters] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
