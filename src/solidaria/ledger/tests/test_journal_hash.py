"""The journal's hashes cover every field of a completed transfer (hash version 2), and
entries written before that (version 1) still verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from solidaria.accounts.models import User
from solidaria.core.models import AppendOnlyError
from solidaria.ledger import services
from solidaria.ledger.journal import canonical_time, canonical_transfer, verify
from solidaria.ledger.models import (
    GENESIS_HASH,
    Account,
    Entry,
    Transfer,
    entry_canonical,
    entry_hash,
    transfer_canonical,
)

pytestmark = pytest.mark.django_db


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _pay(member: User, ada_acc: Account, bo_acc: Account, key: str) -> Transfer:
    return services.transfer_create(
        actor=member,
        payer=ada_acc,
        payee=bo_acc,
        amount_minor=125,
        memo="bread",
        category="food",
        key=key,
    )


ALTERATIONS = {
    "memo": ("memo", "cake"),
    "category": ("category", "drink"),
    "kind": ("kind", "import"),
    "creator": ("created_by_id", None),
    "time": ("created_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
    "completion time": ("completed_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
    "decider": ("decided_by_id", "member"),
    "decision reason": ("decision_reason", "approved at the meeting"),
}


@pytest.mark.parametrize("alteration", ALTERATIONS, ids=list(ALTERATIONS))
def test_changing_any_field_of_a_transfer_breaks_its_first_entry(
    alteration: str, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given a payment that verifies
    transfer = _pay(member, ada_acc, bo_acc, "h1")
    assert verify().ok
    column, value = ALTERATIONS[alteration]
    if value == "member":
        value = member.pk
    # when one of its fields is changed behind the ledger's back
    _sql(f"UPDATE ledger_transfer SET {column} = %s WHERE id = %s", [value, transfer.pk])
    # then verify names the payer's entry, the first one of that transfer
    report = verify()
    first_entry = Entry.objects.filter(transfer=transfer).order_by("pk").first()
    assert first_entry is not None
    assert report.first is not None
    assert report.first.message == (
        f"entry {first_entry.pk}: its hash does not match its contents (altered?)"
    )
    assert {p.entry_id for p in report.problems if p.entry_id} == set(
        Entry.objects.filter(transfer=transfer).values_list("pk", flat=True)
    )


def test_a_levy_and_an_approved_payment_verify(
    member: User, steward: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given a currency with a levy and an authorisation threshold
    currency = ada_acc.currency
    currency.levy_basis_points = 100
    currency.authorisation_threshold = 1000
    currency.save()
    # when ada pays with a levy and a steward approves a large payment with a reason
    services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=500, key="l")
    pending = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=2000, memo="rent", key="p"
    )
    services.transfer_approve(actor=steward, transfer=pending, reason="agreed in the meeting")
    # then every entry verifies, and changing the approval's reason breaks its entries
    assert verify().ok
    _sql("UPDATE ledger_transfer SET decision_reason = %s WHERE id = %s", ["no reason", pending.pk])
    assert not verify().ok


def _rehash(entry_ids: list[int], version: int) -> None:
    """What a version 1 writer stored (or an attacker recomputing): the hashes of these
    entries and every later one, in the chain of each account they touch."""
    accounts = set(Entry.objects.filter(pk__in=entry_ids).values_list("account_id", flat=True))
    for account_id in sorted(accounts):
        head = GENESIS_HASH
        for entry in Entry.objects.filter(account_id=account_id).order_by("seq"):
            chosen = entry.hash_version if entry.pk not in entry_ids else version
            transfer = Transfer.objects.get(pk=entry.transfer_id)
            canonical = entry_canonical(
                account_id=account_id,
                seq=entry.seq,
                transfer_id=entry.transfer_id,
                amount=entry.amount,
                balance_after=entry.balance_after,
                created_at_iso=canonical_time(entry.created_at),
                transfer=canonical_transfer(transfer),
                version=chosen,
            )
            digest = entry_hash(head, canonical)
            _sql(
                "UPDATE ledger_entry SET prev_hash = %s, hash = %s, hash_version = %s "
                "WHERE id = %s",
                [head, digest, chosen, entry.pk],
            )
            head = digest
        _sql("UPDATE ledger_account SET head_hash = %s WHERE id = %s", [head, account_id])


def test_entries_written_with_version_1_still_verify(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given a journal whose first payment was written before migration 0004 (version 1)
    first = _pay(member, ada_acc, bo_acc, "a")
    _pay(member, ada_acc, bo_acc, "b")
    _rehash(list(Entry.objects.filter(transfer=first).values_list("pk", flat=True)), 1)
    # then it verifies: version 1 entries by the version 1 form
    assert list(Entry.objects.order_by("pk").values_list("hash_version", flat=True)) == [
        1,
        1,
        2,
        2,
    ]
    assert verify().ok


def test_a_version_1_entry_after_a_version_2_entry_is_refused(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given two payments, the second downgraded to version 1 (which ignores the memo)
    _pay(member, ada_acc, bo_acc, "a")
    second = _pay(member, ada_acc, bo_acc, "b")
    ids = list(Entry.objects.filter(transfer=second).order_by("pk").values_list("pk", flat=True))
    _rehash(ids, 1)
    # when verify runs, then the downgrade is a problem of its first entry
    report = verify()
    assert report.first is not None
    assert report.first.message == f"entry {ids[0]}: hash version 1 is not valid at this place"


def test_journal_rows_refuse_changes_through_the_orm(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    _pay(member, ada_acc, bo_acc, "a")
    entry = Entry.objects.order_by("pk").first()
    assert entry is not None
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get(pk=entry.pk).amount == -125


_FIXED = {
    "currency_id": 1,
    "payer_id": 2,
    "payee_id": 3,
    "amount_minor": 4,
    "kind": "payment",
    "status": "completed",
    "reserved_minor": 0,
    "reverses_id": None,
    "parent_id": None,
    "batch_id": None,
    "created_by_id": 5,
    "created_at_iso": "2025-01-01T00:00:00+00:00",
    "completed_at_iso": "2025-01-01T00:00:00+00:00",
    "decided_by_id": None,
}


@given(
    a=st.tuples(st.text(max_size=8), st.text(max_size=8), st.text(max_size=8)),
    b=st.tuples(st.text(max_size=8), st.text(max_size=8), st.text(max_size=8)),
)
def test_the_canonical_form_tells_any_two_texts_apart(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    # the text fields carry their length: no memo/category/reason split passes for another
    def form(texts: tuple[str, str, str]) -> str:
        memo, category, reason = texts
        return transfer_canonical(**_FIXED, memo=memo, category=category, decision_reason=reason)

    assert (form(a) == form(b)) == (a == b)


def test_the_hash_covers_every_column_of_a_transfer() -> None:
    # a new Transfer field must be added to transfer_canonical, verify and ledger_pay
    from solidaria.ledger.journal import _TRANSFER_HASHED

    columns = {f.attname for f in Transfer._meta.concrete_fields} - {"id"}
    assert {name.removeprefix("transfer__") for name in _TRANSFER_HASHED} == columns
