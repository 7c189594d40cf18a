"""Row locks on accounts, in the ledger's one lock order, and the network account.

The lock order: member and organisation accounts by primary key, then system accounts by
primary key. Every value-moving service takes its locks through `lock_accounts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext as _

from solidaria.core.errors import NotFound
from solidaria.ledger.models import Account, Currency

NETWORK_ACCOUNT = "network"


def lock_accounts(
    pks: Sequence[int], *, fields: dict[int, str] | None = None
) -> dict[int, Account]:
    """Lock the accounts and return them by pk.

    The one lock order for the whole ledger: member and organisation accounts by primary
    key, then system accounts by primary key. A caller may lock more accounts later only
    if they come after every account it already holds in this order (a payment locks
    payer and payee, then possibly its currency's network account for the levy).
    """
    wanted = sorted(set(pks))
    rows = _select_for_update(wanted)
    found = {acc.pk: acc for acc in rows}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise NotFound(
            _("there is no account %(ref)s") % {"ref": missing[0]},
            field=(fields or {}).get(missing[0], "account"),
        )
    return found


_ACCOUNT_COLUMNS = [f.attname for f in Account._meta.concrete_fields]
_CURRENCY_COLUMNS = [f.attname for f in Currency._meta.concrete_fields]


def _select_for_update(pks: list[int]) -> list[Account]:
    """SELECT … FOR UPDATE OF the accounts (joined with their currency) in the lock order.
    Raw SQL: this runs for every payment, and the ORM's query building cost more than
    the query itself."""
    if not pks:
        return []
    qn = connection.ops.quote_name
    columns = [f"a.{qn(c)}" for c in _ACCOUNT_COLUMNS] + [f"c.{qn(c)}" for c in _CURRENCY_COLUMNS]
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
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pks, Account.Kind.SYSTEM])
        for row in cursor.fetchall():
            values = list(row)
            # adapt values the way the ORM would (booleans and datetimes on SQLite)
            account = Account.from_db(db, _ACCOUNT_COLUMNS, _convert(Account, values[:split]))
            cur_id = values[split]
            if cur_id not in currencies:
                currencies[cur_id] = Currency.from_db(
                    db, _CURRENCY_COLUMNS, _convert(Currency, values[split:])
                )
            account.currency = currencies[cur_id]
            accounts.append(account)
    return accounts


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


def network_account(currency: Currency) -> Account:
    """The currency's own system account: it issues starting grants and receives levies."""
    acc, _created = Account.objects.get_or_create(
        currency=currency,
        kind=Account.Kind.SYSTEM,
        name=NETWORK_ACCOUNT,
        defaults={"credit_limit": None, "upper_limit": None},
    )
    return acc
