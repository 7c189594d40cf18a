"""Row locks on accounts, in the ledger's one lock order, and the network account.

The lock order: member and organisation accounts by primary key, then system accounts by
primary key. Every value-moving service takes its locks through `lock_accounts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext as _

from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.ledger.models import Account, Currency, Transfer

NETWORK_ACCOUNT = "network"


class Locked(dict[int, Account]):
    """Locked accounts by pk, and the transfer ids reserved in the same round trip."""

    transfer_ids: list[int]


def lock_accounts(
    pks: Sequence[int], *, fields: dict[int, str] | None = None, transfer_ids: int = 0
) -> Locked:
    """Lock the accounts and return them by pk.

    `transfer_ids`: on PostgreSQL, also reserve that many transfer ids from the transfer
    table's sequence in the same query (`.transfer_ids`; empty elsewhere), so that a
    payment can hash its entries before its transfer row is written and send all its rows
    in one round trip (see `writes`). An unused reserved id is only a gap in the sequence.

    The one lock order for the whole ledger: member and organisation accounts by primary
    key, then system accounts by primary key. A caller may lock more accounts later only
    if they come after every account it already holds in this order (a payment locks
    payer and payee, then possibly its currency's network account for the levy).
    """
    wanted = sorted(set(pks))
    rows, ids = _select_for_update(wanted, transfer_ids)
    found = Locked((acc.pk, acc) for acc in rows)
    found.transfer_ids = ids
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise NotFound(
            _("there is no account %(ref)s") % {"ref": missing[0]},
            field=(fields or {}).get(missing[0], "account"),
        )
    return found


_ACCOUNT_COLUMNS = [f.attname for f in Account._meta.concrete_fields]
_CURRENCY_COLUMNS = [f.attname for f in Currency._meta.concrete_fields]


def _select_for_update(pks: list[int], reserve: int = 0) -> tuple[list[Account], list[int]]:
    """SELECT … FOR UPDATE OF the accounts (joined with their currency) in the lock order.
    Raw SQL: this runs for every payment, and the ORM's query building cost more than
    the query itself."""
    if not pks:
        return [], []
    qn = connection.ops.quote_name
    columns = [f"a.{qn(c)}" for c in _ACCOUNT_COLUMNS] + [f"c.{qn(c)}" for c in _CURRENCY_COLUMNS]
    params: list[Any] = []
    reserve = reserve if connection.vendor == "postgresql" else 0
    if reserve:
        # an uncorrelated sub-select: evaluated once per query, not once per row
        columns.append(
            "(SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) "
            "FROM generate_series(1, %s))"
        )
        params += [Transfer._meta.db_table, reserve]
    sql = (
        f"SELECT {', '.join(columns)} FROM {Account._meta.db_table} a "
        f"JOIN {Currency._meta.db_table} c ON c.id = a.currency_id "
        f"WHERE a.id IN ({', '.join(['%s'] * len(pks))}) "
        f"ORDER BY CASE WHEN a.kind = %s THEN 1 ELSE 0 END, a.id"
    )
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF a"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    split = len(_ACCOUNT_COLUMNS)
    db = connection.alias
    currencies: dict[int, Currency] = {}
    accounts = []
    ids: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *pks, Account.Kind.SYSTEM])
        for row in cursor.fetchall():
            values = list(row)
            if reserve:
                reserved = values.pop()
                ids = ids or [int(i) for i in reserved]
            # adapt values the way the ORM would (booleans and datetimes on SQLite)
            account = Account.from_db(db, _ACCOUNT_COLUMNS, _convert(Account, values[:split]))
            cur_id = values[split]
            if cur_id not in currencies:
                currencies[cur_id] = Currency.from_db(
                    db, _CURRENCY_COLUMNS, _convert(Currency, values[split:])
                )
            account.currency = currencies[cur_id]
            accounts.append(account)
    return accounts, ids


_CONVERTERS: dict[tuple[str, type[models.Model]], list[tuple[int, Any, list[Any]]]] = {}


def _convert(model: type[models.Model], values: list[Any]) -> list[Any]:
    """Apply the backend's and the fields' value converters (e.g. SQLite booleans)."""
    key = (connection.vendor, model)
    plan = _CONVERTERS.get(key)
    if plan is None:
        plan = []
        for i, field in enumerate(model._meta.concrete_fields):
            col = field.get_col(model._meta.db_table)
            funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if funcs:
                plan.append((i, col, funcs))
        _CONVERTERS[key] = plan
    for i, col, funcs in plan:
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return values


_NETWORK_PKS: dict[int, int] = {}


def lock_network(currency: Currency, locked: dict[int, Account]) -> Account:
    """Lock the currency's network account (last in the lock order) and add it to `locked`."""
    for acc in locked.values():
        if acc.kind == Account.Kind.SYSTEM and acc.currency_id == currency.pk:
            return acc
    pk = _NETWORK_PKS.get(currency.pk)
    if pk is None:
        pk = _NETWORK_PKS[currency.pk] = network_account(currency).pk
    acc = lock_accounts([pk]).get(pk)
    if acc is None or acc.currency_id != currency.pk or acc.name != NETWORK_ACCOUNT:
        _NETWORK_PKS.pop(currency.pk, None)  # stale cache (a rolled-back test database)
        pk = _NETWORK_PKS[currency.pk] = network_account(currency).pk
        acc = lock_accounts([pk])[pk]
    locked[acc.pk] = acc
    return acc


def system_account(*, currency: Currency, name: str) -> Account:
    """The system account called `name` in `currency` (no owner, no credit or upper limit),
    made on first use; for other apps that hold value in a currency in their own name
    (e.g. a co-op's `coop:<slug>` account). Safe against a concurrent first use: the name
    is unique among the currency's system accounts."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("a system account needs a name"), field="name")
    if len(name) > Account._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationFailed(_("the account name is too long"), field="name")
    acc, _created = Account.objects.get_or_create(
        currency=currency,
        kind=Account.Kind.SYSTEM,
        name=name,
        defaults={"credit_limit": None, "upper_limit": None},
    )
    return acc


def network_account(currency: Currency) -> Account:
    """The currency's own system account: it issues starting grants and receives levies."""
    return system_account(currency=currency, name=NETWORK_ACCOUNT)
