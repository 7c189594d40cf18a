"""`ledger_pay` (PostgreSQL): the one-statement payment writes what the Python posting
writes, and declines, writing nothing, whatever needs the Python path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, PermissionDenied
from solidaria.core.models import AuditEvent, IdempotencyRecord
from solidaria.ledger import checkpoints, fastpay, services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Currency, Entry, Transfer

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _rows() -> tuple[int, int, int, int]:
    return (
        Transfer.objects.count(),
        Entry.objects.count(),
        AuditEvent.objects.filter(verb="ledger.transfer").count(),
        IdempotencyRecord.objects.count(),
    )


def _fast(actor: Any, payer: Account, payee: Account, amount: int, key: str) -> str:
    request = {"payer": payer.pk, "payee": payee.pk, "amount": amount}
    outcome, _transfer = fastpay.pay(
        actor=actor,
        payer=payer.pk,
        payee=payee.pk,
        amount=amount,
        memo="",
        category="",
        kind=Transfer.Kind.PAYMENT,
        scope="ledger.transfer",
        key=key,
        request=request,
        now=timezone.now(),
    )
    return outcome


def test_both_paths_write_the_same_rows_and_one_chain(
    member: User, ada_acc: Account, bo_acc: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # when ada pays bo through ledger_pay, then through the Python posting, then ledger_pay
    first = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=150, memo="m", key="a"
    )
    with monkeypatch.context() as patch:
        patch.setattr(fastpay, "available", lambda actor: False)
        second = services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=250, memo="m", key="b"
        )
    third = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=350, memo="m", key="c"
    )
    # then the rows of each have the same shape, and one chain runs through all three
    columns = ["payer_id", "payee_id", "memo", "kind", "status", "created_by_id"]
    shapes = {
        tuple(Transfer.objects.filter(pk=t.pk).values_list(*columns).get())
        for t in (first, second, third)
    }
    assert shapes == {(ada_acc.pk, bo_acc.pk, "m", "payment", "completed", member.pk)}
    returned = Transfer.objects.get(pk=first.pk)
    assert (first.created_at, first.completed_at, first.currency_id) == (
        returned.created_at,
        returned.completed_at,
        returned.currency_id,
    )
    assert list(
        Entry.objects.filter(account=ada_acc).order_by("seq").values_list("seq", "balance_after")
    ) == [(1, -150), (2, -400), (3, -750)]
    events = AuditEvent.objects.filter(verb="ledger.transfer").order_by("pk")
    assert [(e.actor_id, e.object_type, e.data["amount"]) for e in events] == [
        (member.pk, "ledger.transfer", 150),
        (member.pk, "ledger.transfer", 250),
        (member.pk, "ledger.transfer", 350),
    ]
    report = verify()
    assert report.ok, report


def test_a_repeat_is_replayed_and_a_clash_is_409(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    first = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="k"
    )
    before = _rows()
    again = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="k"
    )
    assert (again.pk, again.replayed) == (first.pk, True)
    assert _fast(member, ada_acc, bo_acc, 100, f"{member.pk}:k") == "replay"
    assert _rows() == before
    with pytest.raises(Conflict):
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=999, key="k"
        )
    assert _rows() == before


Setup = Callable[[Currency, Account, Account], None]


def _set(obj: Any, **values: Any) -> None:
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()


CASES: dict[str, tuple[Setup, int]] = {
    "levy": (lambda c, a, b: _set(c, levy_basis_points=100), 1000),
    "authorisation": (lambda c, a, b: _set(c, authorisation_threshold=500), 1000),
    "payer's credit limit": (lambda c, a, b: None, 10_001),
    "payee's upper limit": (lambda c, a, b: _set(a, credit_limit=10**9), 50_001),
    "soft credit limit": (lambda c, a, b: _set(c, soft_credit_limit=50), 100),
    "soft upper limit": (lambda c, a, b: _set(c, soft_upper_limit=50), 100),
    "closed payer": (lambda c, a, b: _set(a, is_active=False), 100),
    "closed payee": (lambda c, a, b: _set(b, is_active=False), 100),
    "closed currency": (lambda c, a, b: _set(c, is_active=False), 100),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_declines_what_needs_the_python_path_and_writes_nothing(
    case: str, member: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    setup, amount = CASES[case]
    _set(bo_acc, upper_limit=50_000)
    setup(credits, ada_acc, bo_acc)
    before = _rows()
    assert _fast(member, ada_acc, bo_acc, amount, "x") == "slow"
    assert _rows() == before


def test_declines_other_debits_unknown_accounts_and_other_currencies(
    member: User,
    other_member: User,
    credits: Currency,
    hours: Currency,
    ada_acc: Account,
    bo_acc: Account,
) -> None:
    ada_hours = services.account_open(actor=member, currency=hours)
    ghost = Account(pk=10**9, currency=credits)
    before = _rows()
    # someone else's account, an account that does not exist, another currency
    assert _fast(other_member, ada_acc, bo_acc, 100, "x") == "slow"
    assert _rows() == before
    assert _fast(member, ada_acc, ghost, 100, "x") == "slow"
    assert _rows() == before
    assert _fast(member, ada_hours, bo_acc, 100, "x") == "slow"
    assert _rows() == before
    # and the Python path explains: a stranger gets 403
    with pytest.raises(PermissionDenied):
        services.transfer_create(
            actor=other_member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="x"
        )


def test_a_steward_pays_from_a_system_account_and_the_network_acts_freely(
    steward: User, member: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    network = services.network_account(credits)
    assert _fast(steward, network, ada_acc, 100, "s1") == "ok"
    assert _fast(member, network, ada_acc, 100, "s2") == "slow"
    assert _fast(None, ada_acc, bo_acc, 100, "system:n1") == "ok"
    assert verify().ok


def test_a_fast_payment_hashes_every_field_as_python_does(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given a payment made by ledger_pay with a memo and category of multi-byte characters
    outcome, transfer = fastpay.pay(
        actor=member,
        payer=ada_acc.pk,
        payee=bo_acc.pk,
        amount=275,
        memo="café ☕ 𝄞 | 3:x",
        category="ñandú",
        kind=Transfer.Kind.PAYMENT,
        scope="ledger.transfer",
        key="unicode",
        request={"payer": ada_acc.pk},
        now=timezone.now(),
    )
    assert outcome == "ok" and transfer is not None
    # then its entries are version 2 and their SQL hashes are the ones Python computes
    entries = list(Entry.objects.filter(transfer=transfer).order_by("pk"))
    assert [e.hash_version for e in entries] == [2, 2]
    assert verify().ok
    # and when only its memo is changed in the database, verify names the payer's entry
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_transfer SET memo = %s WHERE id = %s", ["café ☕ 𝄞 | 3:y", transfer.pk]
        )
    report = verify()
    assert report.first is not None
    assert report.first.message == (
        f"entry {entries[0].pk}: its hash does not match its contents (altered?)"
    )
    assert len(report.problems) == 2


def test_a_fast_payment_is_pinned_by_a_checkpoint(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given a fast payment and a checkpoint taken under the journal's SHARE lock
    assert _fast(member, ada_acc, bo_acc, 100, "one") == "ok"
    made = checkpoints.take_checkpoint()
    # then the checkpoint matches the journal ledger_pay wrote
    report = checkpoints.verify_checkpoints(checkpoints.published_list())
    assert (made.entry_count, report.ok, report.checked) == (2, True, 1)
