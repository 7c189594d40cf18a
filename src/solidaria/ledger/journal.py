"""Posting transfers into the hash-chained journal, and verifying it.

The chain is kept per account: an account's entries are numbered 1, 2, … (`seq`) and
each entry's hash is sha256(previous hash in that account + canonical form of the entry),
which (hash version 2) includes every field of its transfer: memo, category, kind,
creator, times, parties, currency, amount and the decision (`transfer_canonical`).
The account row is the chain head (`head_hash`, `entry_count`); every posting locks it
(`select_for_update`, in primary-key order) before appending, so two concurrent transfers
touching the same account are serialised by that lock and the chain stays linear — and
transfers that share no account do not wait for each other, as they would behind a single
global chain head. `(account, seq)` is unique, so a fork is refused by the database too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils.translation import gettext as _

from solidaria.core.errors import ValidationFailed
from solidaria.ledger.models import (
    GENESIS_HASH,
    HASH_VERSION,
    Account,
    Currency,
    Entry,
    Transfer,
    TransferBatch,
    entry_canonical,
    entry_hash,
    transfer_canonical,
)
from solidaria.ledger.writes import Writes

LEVY_KINDS = {
    Transfer.Kind.PAYMENT,
    Transfer.Kind.REQUEST,
    Transfer.Kind.BULK,
    Transfer.Kind.IMPORT,
}


def canonical_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def canonical_transfer(transfer: Transfer) -> str:
    """The part of its entries' hashes that pins every field of a completed transfer."""
    return transfer_canonical(
        currency_id=transfer.currency_id,
        payer_id=transfer.payer_id,
        payee_id=transfer.payee_id,
        amount_minor=transfer.amount_minor,
        memo=transfer.memo,
        category=transfer.category,
        kind=transfer.kind,
        status=transfer.status,
        reserved_minor=transfer.reserved_minor,
        reverses_id=transfer.reverses_id,
        parent_id=transfer.parent_id,
        batch_id=transfer.batch_id,
        created_by_id=transfer.created_by_id,
        created_at_iso=canonical_time(transfer.created_at),
        completed_at_iso=canonical_time(transfer.completed_at) if transfer.completed_at else "",
        decided_by_id=transfer.decided_by_id,
        decision_reason=transfer.decision_reason,
    )


@dataclass
class Leg:
    """One payment to post. `existing` is a pending transfer being approved."""

    payer: Account
    payee: Account
    amount: int
    memo: str = ""
    category: str = ""
    kind: str = Transfer.Kind.PAYMENT
    reverses: Transfer | None = None
    line: int | None = None
    existing: Transfer | None = None
    levy: int = 0


@dataclass
class Posted:
    transfers: list[Transfer]
    warnings: list[str] = field(default_factory=list)


def _whose(account: Account, actor: object) -> tuple[str, str]:
    if account.owner_id is not None and getattr(actor, "pk", None) == account.owner_id:
        return _("your balance"), _("your limit")
    return (
        _("the balance of %(name)s") % {"name": account.name},
        _("its limit"),
    )


def _line_prefix(leg: Leg) -> str:
    return _("line %(line)s: ") % {"line": leg.line} if leg.line is not None else ""


def check_payer_room(account: Account, amount: int, *, actor: object, levy: int = 0) -> None:
    """Refuse, with a reason the member understands, a debit the credit limit forbids."""
    if account.credit_limit is None:
        return
    after = account.balance - account.reserved - amount - levy
    if after >= -account.credit_limit:
        return
    cur = account.currency
    balance_of, limit_of = _whose(account, actor)
    subject = (
        _("this payment and its levy of %(levy)s") % {"levy": cur.format(levy)}
        if levy
        else _("this payment")
    )
    message = _(
        "%(subject)s would take %(balance_of)s to %(after)s, below %(limit_of)s of %(limit)s"
    ) % {
        "subject": subject,
        "balance_of": balance_of,
        "after": cur.format(after),
        "limit_of": limit_of,
        "limit": cur.format(-account.credit_limit),
    }
    if account.reserved:
        message += _(" (%(reserved)s is held for payments awaiting authorisation)") % {
            "reserved": cur.format(account.reserved)
        }
    raise ValidationFailed(message, field="amount")


def check_payee_room(account: Account, amount: int, *, actor: object) -> None:
    if account.upper_limit is None or account.balance + amount <= account.upper_limit:
        return
    cur = account.currency
    balance_of, limit_of = _whose(account, actor)
    raise ValidationFailed(
        _("this payment would take %(balance_of)s to %(after)s, above %(limit_of)s of %(limit)s")
        % {
            "balance_of": balance_of,
            "after": cur.format(account.balance + amount),
            "limit_of": limit_of,
            "limit": cur.format(account.upper_limit),
        },
        field="amount",
    )


def _soft_warnings(payer: Account, payee: Account) -> list[str]:
    cur = payer.currency
    warnings = []
    if cur.soft_credit_limit is not None and payer.balance < -cur.soft_credit_limit:
        warnings.append(
            _("%(name)s is now at %(balance)s, below the soft limit of %(limit)s")
            % {
                "name": payer.name,
                "balance": cur.format(payer.balance),
                "limit": cur.format(-cur.soft_credit_limit),
            }
        )
    if cur.soft_upper_limit is not None and payee.balance > cur.soft_upper_limit:
        warnings.append(
            _("%(name)s is now at %(balance)s, above the soft limit of %(limit)s")
            % {
                "name": payee.name,
                "balance": cur.format(payee.balance),
                "limit": cur.format(cur.soft_upper_limit),
            }
        )
    return warnings


def post(
    *,
    legs: Sequence[Leg],
    accounts: dict[int, Account],
    actor: object,
    now: dt.datetime,
    levy_account: dict[int, Account] | None = None,
    batch: TransferBatch | None = None,
    writes: Writes | None = None,
    transfer_ids: Sequence[int] = (),
) -> Posted:
    """Validate every leg against the locked `accounts`, then write transfers, entries and
    balances in bulk. Raises before writing anything if any leg breaks a limit.

    `levy_account` maps currency id → its locked levy account (needed when levy > 0); that
    account must also be in `accounts`.

    With `writes`, the entries and account updates are added to it (the caller flushes it
    before its transaction ends), and so are the new transfers when `transfer_ids` has an
    id reserved for each of them (`lock_accounts(..., transfer_ids=n)`); without, every
    row is written before `post` returns.
    """
    start = {pk: acc.balance for pk, acc in accounts.items()}
    warnings: list[str] = []
    # 1. validate in memory, in order, so line N is judged on lines 1..N-1.
    for leg in legs:
        payer, payee = accounts[leg.payer.pk], accounts[leg.payee.pk]
        try:
            check_payer_room(payer, leg.amount, actor=actor, levy=leg.levy)
            check_payee_room(payee, leg.amount, actor=actor)
        except ValidationFailed as exc:
            exc.message = _line_prefix(leg) + exc.message
            exc.args = (exc.message,)
            raise
        payer.balance -= leg.amount + leg.levy
        payee.balance += leg.amount
        if leg.levy:
            assert levy_account is not None
            levy_acc = levy_account[payer.currency_id]
            check_payee_room(levy_acc, leg.levy, actor=actor)
            levy_acc.balance += leg.levy
        warnings.extend(_soft_warnings(payer, payee))

    # 2. transfers (new ones in bulk; approved ones updated), then their levies.
    created_by = actor if getattr(actor, "pk", None) else None
    fresh: list[Transfer] = []
    mains: list[Transfer] = []
    for leg in legs:
        if leg.existing is not None:
            transfer = leg.existing
            transfer.status = Transfer.Status.COMPLETED
            transfer.completed_at = now
            transfer.reserved_minor = 0
            transfer.save(update_fields=["status", "completed_at", "reserved_minor", "decided_by"])
        else:
            transfer = Transfer(
                currency_id=leg.payer.currency_id,
                payer_id=leg.payer.pk,
                payee_id=leg.payee.pk,
                amount_minor=leg.amount,
                memo=leg.memo,
                category=leg.category,
                kind=leg.kind,
                status=Transfer.Status.COMPLETED,
                reverses=leg.reverses,
                batch=batch,
                created_by=created_by,
                created_at=now,
                completed_at=now,
            )
            fresh.append(transfer)
        mains.append(transfer)
    if writes is not None and fresh and len(transfer_ids) >= len(fresh):
        for transfer, pk in zip(fresh, transfer_ids, strict=False):
            transfer.pk = pk
            writes.insert(transfer)
    elif len(fresh) == 1 and connection.features.can_return_columns_from_insert:
        _insert_transfer(fresh[0])
    elif fresh:
        Transfer.objects.bulk_create(fresh, batch_size=2000)
    levies: list[Transfer] = []
    for leg, transfer in zip(legs, mains, strict=True):
        if leg.levy:
            assert levy_account is not None
            levies.append(
                Transfer(
                    currency_id=transfer.currency_id,
                    payer_id=leg.payer.pk,
                    payee_id=levy_account[leg.payer.currency_id].pk,
                    amount_minor=leg.levy,
                    memo=_("levy on transfer #%(id)s") % {"id": transfer.pk},
                    category="levy",
                    kind=Transfer.Kind.LEVY,
                    parent=transfer,
                    batch=batch,
                    created_by=created_by,
                    created_at=now,
                    completed_at=now,
                )
            )
    if levies:
        if writes is not None:
            writes.flush()  # the levies refer to their parent transfers
        Transfer.objects.bulk_create(levies, batch_size=2000)

    # 3. entries, chained per account, in the same order as the validation.
    running = dict(start)
    touched: dict[int, Account] = {}
    entries: list[Entry] = []
    when = canonical_time(now)
    levy_iter = iter(levies)

    covered: dict[int, str] = {}

    def append(account: Account, transfer: Transfer, amount: int) -> None:
        running[account.pk] += amount
        seq = account.entry_count + 1
        if transfer.pk not in covered:
            covered[transfer.pk] = canonical_transfer(transfer)
        canonical = entry_canonical(
            account_id=account.pk,
            seq=seq,
            transfer_id=transfer.pk,
            amount=amount,
            balance_after=running[account.pk],
            created_at_iso=when,
            transfer=covered[transfer.pk],
        )
        digest = entry_hash(account.head_hash, canonical)
        entries.append(
            Entry(
                account_id=account.pk,
                transfer_id=transfer.pk,
                seq=seq,
                amount=amount,
                balance_after=running[account.pk],
                created_at=now,
                prev_hash=account.head_hash,
                hash=digest,
            )
        )
        account.head_hash = digest
        account.entry_count = seq
        touched[account.pk] = account

    for leg, transfer in zip(legs, mains, strict=True):
        payer, payee = accounts[leg.payer.pk], accounts[leg.payee.pk]
        append(payer, transfer, -leg.amount)
        append(payee, transfer, leg.amount)
        if leg.levy:
            assert levy_account is not None
            levy_transfer = next(levy_iter)
            append(payer, levy_transfer, -leg.levy)
            append(levy_account[payer.currency_id], levy_transfer, leg.levy)
    for pk, acc in touched.items():
        assert running[pk] == acc.balance, "ledger posting out of step"
    own = writes if writes is not None else Writes()
    _insert_entries(entries, own)
    _update_accounts(list(touched.values()), own)
    if writes is None:
        own.flush()
    for transfer in mains:
        transfer.warnings = warnings  # type: ignore[attr-defined]
    return Posted(transfers=mains, warnings=warnings)


def _chunks(rows: list[Any], width: int) -> list[list[Any]]:
    limit = connection.features.max_query_params or 65535
    size = max(1, min(2000, limit // width))
    return [rows[i : i + size] for i in range(0, len(rows), size)]


_TRANSFER_COLUMNS = [f for f in Transfer._meta.concrete_fields if not f.primary_key]


def _insert_transfer(transfer: Transfer) -> None:
    """INSERT … RETURNING id for the one transfer of an ordinary payment (the ORM's
    bulk_create costs more CPU than the database spends on the row)."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in _TRANSFER_COLUMNS)
    params = [
        f.get_db_prep_save(getattr(transfer, f.attname), connection) for f in _TRANSFER_COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Transfer._meta.db_table} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(params))}) RETURNING id",
            params,
        )
        transfer.pk = cursor.fetchone()[0]
    transfer._state.adding = False
    transfer._state.db = connection.alias


def _insert_entries(entries: list[Entry], writes: Writes) -> None:
    """One multi-row INSERT per chunk: the hot path of every payment, without the ORM's
    per-object overhead (the rows are plain values already)."""
    columns = (
        "account_id, transfer_id, seq, amount, balance_after, created_at, prev_hash, hash, "
        "hash_version"
    )
    for chunk in _chunks(entries, 9):
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for e in chunk:
            params += [
                e.account_id,
                e.transfer_id,
                e.seq,
                e.amount,
                e.balance_after,
                connection.ops.adapt_datetimefield_value(e.created_at),
                e.prev_hash,
                e.hash,
                e.hash_version,
            ]
        writes.add(f"INSERT INTO {Entry._meta.db_table} ({columns}) VALUES {values}", params)


def _update_accounts(accounts: list[Account], writes: Writes) -> None:
    """Write cached balances and chain heads in one UPDATE … FROM (VALUES …) per chunk
    (PostgreSQL, and SQLite >= 3.33). The CHECK constraints judge every row."""
    table = Account._meta.db_table
    row = "(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), %s, CAST(%s AS BIGINT))"
    for chunk in _chunks(accounts, 5):
        params: list[Any] = []
        for a in chunk:
            params += [a.pk, a.balance, a.reserved, a.head_hash, a.entry_count]
        writes.add(
            f"UPDATE {table} SET balance = v.column2, reserved = v.column3, "
            f"head_hash = v.column4, entry_count = v.column5 "
            f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v "
            f"WHERE {table}.id = v.column1",
            params,
        )


# --- verification --------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message: str
    entry_id: int | None = None
    account_id: int | None = None
    transfer_id: int | None = None

    def sort_key(self) -> tuple[int, int]:
        """Entries first (by id), then accounts, then transfers, then currency sums."""
        if self.entry_id is not None:
            return (0, self.entry_id)
        if self.transfer_id is not None:
            return (2, self.transfer_id)
        if self.account_id is not None:
            return (1, self.account_id)
        return (3, 0)


@dataclass
class VerifyReport:
    entries: int = 0
    accounts: int = 0
    transfers: int = 0
    currencies: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=Problem.sort_key) if self.problems else None


# The transfer's fields an entry's hash covers (version 2), read with the entry.
_TRANSFER_HASHED = [
    "transfer__currency_id",
    "transfer__payer_id",
    "transfer__payee_id",
    "transfer__amount_minor",
    "transfer__memo",
    "transfer__category",
    "transfer__kind",
    "transfer__status",
    "transfer__reserved_minor",
    "transfer__reverses_id",
    "transfer__parent_id",
    "transfer__batch_id",
    "transfer__created_by_id",
    "transfer__created_at",
    "transfer__completed_at",
    "transfer__decided_by_id",
    "transfer__decision_reason",
]


def _hashed_transfer(values: list[Any]) -> str:
    names = (name.removeprefix("transfer__") for name in _TRANSFER_HASHED)
    fields = dict(zip(names, values, strict=True))
    created_at, completed_at = fields.pop("created_at"), fields.pop("completed_at")
    return transfer_canonical(
        **fields,
        created_at_iso=canonical_time(created_at),
        completed_at_iso=canonical_time(completed_at) if completed_at else "",
    )


def verify(*, currency: Currency | None = None) -> VerifyReport:
    """Recompute every account's hash chain and balance, every transfer's entries, and
    each currency's zero sum. Problems are collected; `first` is the earliest entry."""
    report = VerifyReport()
    accounts = Account.objects.all()
    entries = Entry.objects.all()
    transfers = Transfer.objects.all()
    currencies = Currency.objects.all()
    if currency is not None:
        accounts = accounts.filter(currency=currency)
        entries = entries.filter(account__currency=currency)
        transfers = transfers.filter(currency=currency)
        currencies = currencies.filter(pk=currency.pk)
    heads = {
        pk: (balance, reserved, head, count)
        for pk, balance, reserved, head, count in accounts.values_list(
            "pk", "balance", "reserved", "head_hash", "entry_count"
        )
    }
    report.accounts = len(heads)
    per_transfer: dict[int, list[tuple[int, int]]] = {}
    state: dict[int, tuple[int, str, int]] = {}  # account → (seq, hash, running balance)
    newest_version: dict[int, int] = {}  # account → highest hash version seen in its chain
    rows = entries.order_by("account_id", "seq").values_list(
        "pk",
        "account_id",
        "transfer_id",
        "seq",
        "amount",
        "balance_after",
        "created_at",
        "prev_hash",
        "hash",
        "hash_version",
        *_TRANSFER_HASHED,
    )
    for (
        pk,
        account_id,
        transfer_id,
        seq,
        amount,
        balance_after,
        created_at,
        prev,
        digest,
        version,
        *transfer_fields,
    ) in rows.iterator(chunk_size=5000):
        report.entries += 1
        last_seq, last_hash, running = state.get(account_id, (0, GENESIS_HASH, 0))
        running += amount
        if version not in (1, HASH_VERSION) or version < newest_version.get(account_id, 1):
            # an entry cannot go back to version 1 (which does not cover its transfer)
            # once its account's chain has a version 2 entry.
            report.problems.append(
                Problem(
                    _("entry %(id)s: hash version %(version)s is not valid at this place")
                    % {"id": pk, "version": version},
                    entry_id=pk,
                    account_id=account_id,
                )
            )
        newest_version[account_id] = max(version, newest_version.get(account_id, 1))
        if seq != last_seq + 1:
            report.problems.append(
                Problem(
                    _(
                        "entry %(id)s: account %(account)s expected entry number %(want)s, found %(got)s"
                    )
                    % {"id": pk, "account": account_id, "want": last_seq + 1, "got": seq},
                    entry_id=pk,
                    account_id=account_id,
                )
            )
        if prev != last_hash:
            report.problems.append(
                Problem(
                    _("entry %(id)s: previous hash does not match the chain of account %(account)s")
                    % {"id": pk, "account": account_id},
                    entry_id=pk,
                    account_id=account_id,
                )
            )
        canonical = entry_canonical(
            account_id=account_id,
            seq=seq,
            transfer_id=transfer_id,
            amount=amount,
            balance_after=balance_after,
            created_at_iso=canonical_time(created_at),
            transfer=_hashed_transfer(transfer_fields) if version != 1 else "",
            version=version,
        )
        if entry_hash(prev, canonical) != digest:
            report.problems.append(
                Problem(
                    _("entry %(id)s: its hash does not match its contents (altered?)") % {"id": pk},
                    entry_id=pk,
                    account_id=account_id,
                )
            )
        if balance_after != running:
            report.problems.append(
                Problem(
                    _("entry %(id)s: balance after is %(stored)s but the entries sum to %(sum)s")
                    % {"id": pk, "stored": balance_after, "sum": running},
                    entry_id=pk,
                    account_id=account_id,
                )
            )
            running = balance_after
        state[account_id] = (seq, digest, running)
        per_transfer.setdefault(transfer_id, []).append((account_id, amount))

    pending_reserved: dict[int, int] = {}
    for tid, payer_id, payee_id, amount, status, reserved in transfers.values_list(
        "pk", "payer_id", "payee_id", "amount_minor", "status", "reserved_minor"
    ).iterator(chunk_size=5000):
        report.transfers += 1
        lines = per_transfer.pop(tid, [])
        if status == Transfer.Status.PENDING:
            pending_reserved[payer_id] = pending_reserved.get(payer_id, 0) + reserved
        expected = (
            sorted([(payer_id, -amount), (payee_id, amount)])
            if status == Transfer.Status.COMPLETED
            else []
        )
        if sorted(lines) != expected:
            report.problems.append(
                Problem(
                    _("transfer %(id)s: its entries %(lines)s do not match %(want)s")
                    % {"id": tid, "lines": sorted(lines), "want": expected},
                    transfer_id=tid,
                    account_id=payer_id,
                )
            )
    for tid in per_transfer:
        report.problems.append(
            Problem(_("entries refer to transfer %(id)s, which is missing") % {"id": tid})
        )

    for pk, (balance, reserved, head, count) in heads.items():
        seq, digest, running = state.get(pk, (0, GENESIS_HASH, 0))
        if running != balance:
            report.problems.append(
                Problem(
                    _("account %(id)s: balance is %(balance)s but its entries sum to %(sum)s")
                    % {"id": pk, "balance": balance, "sum": running},
                    account_id=pk,
                )
            )
        if (seq, digest) != (count, head):
            report.problems.append(
                Problem(
                    _(
                        "account %(id)s: chain head does not match its last entry (%(count)s entries stored, %(seq)s found)"
                    )
                    % {"id": pk, "count": count, "seq": seq},
                    account_id=pk,
                )
            )
        if reserved != pending_reserved.get(pk, 0):
            report.problems.append(
                Problem(
                    _("account %(id)s: %(reserved)s reserved but pending transfers hold %(held)s")
                    % {"id": pk, "reserved": reserved, "held": pending_reserved.get(pk, 0)},
                    account_id=pk,
                )
            )

    sums = {
        row["currency__code"]: row["total"]
        for row in accounts.values("currency__code").annotate(total=Sum("balance"))
    }
    report.currencies = currencies.count()
    for code, total in sorted(sums.items()):
        if total != 0:
            report.problems.append(
                Problem(
                    _("currency %(code)s: balances sum to %(total)s, not zero")
                    % {"code": code, "total": total}
                )
            )
    return report
