from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent, IdempotencyRecord
from solidaria.ledger import batches, payment_requests, services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Currency, Entry, PaymentRequest, Transfer

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, list[tuple[int, int, int]]]:
    return (
        Transfer.objects.count(),
        Entry.objects.count(),
        list(Account.objects.order_by("pk").values_list("pk", "balance", "reserved")),
    )


def test_a_payment_moves_balances_writes_two_chained_entries_and_an_audit_event(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # when ada pays bo 12.50
    transfer = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1250, memo="bread", key="k1"
    )
    # then
    ada_acc.refresh_from_db()
    bo_acc.refresh_from_db()
    assert (ada_acc.balance, bo_acc.balance) == (-1250, 1250)
    entries = list(transfer.entries.order_by("amount").values_list("account_id", "amount", "seq"))
    assert entries == [(ada_acc.pk, -1250, 1), (bo_acc.pk, 1250, 1)]
    assert ada_acc.head_hash == Entry.objects.get(account=ada_acc).hash
    assert AuditEvent.objects.filter(verb="ledger.transfer", object_id=str(transfer.pk)).exists()
    assert Account.objects.aggregate(total=Sum("balance"))["total"] == 0
    assert verify().ok


def test_over_the_limit_the_member_reads_why_and_nothing_is_written(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=3000, key="a")
    before = _state()
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=10_000, key="b"
        )
    assert exc.value.message == (
        "this payment would take your balance to -130.00, below your limit of -100.00"
    )
    assert exc.value.field == "amount"
    assert _state() == before
    assert not IdempotencyRecord.objects.filter(key__endswith=":b").exists()


def test_above_the_upper_limit_is_refused(
    member: User, steward: User, ada_acc: Account, bo_acc: Account
) -> None:
    services.account_limits_set(
        actor=steward, account=bo_acc, credit_limit=10_000, upper_limit=1000, reason="test"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1001, key="x"
        )
    assert exc.value.message == (
        "this payment would take the balance of bo to 10.01, above its limit of 10.00"
    )


def test_a_repeated_key_returns_the_first_transfer_and_moves_nothing(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    first = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=500, key="same"
    )
    again = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=500, key="same"
    )
    assert again.pk == first.pk and again.replayed and not first.replayed
    ada_acc.refresh_from_db()
    assert ada_acc.balance == -500
    with pytest.raises(Conflict):
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=600, key="same"
        )


def test_a_key_is_required(member: User, ada_acc: Account, bo_acc: Account) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1, key="")
    assert exc.value.field == "idempotency_key"


@pytest.mark.parametrize(
    ("amount", "error", "field"),
    [
        (0, ValidationFailed, "amount"),
        (-5, ValidationFailed, "amount"),
        (True, ValidationFailed, "amount"),
    ],
)
def test_bad_amounts_are_refused(
    member: User, ada_acc: Account, bo_acc: Account, amount: int, error: type, field: str
) -> None:
    before = _state()
    with pytest.raises(error) as exc:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=amount, key="k"
        )
    assert exc.value.field == field
    assert _state() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.005", "1.005 has more decimal places than CRED allows (2)"),
        ("0", "the amount must be more than zero"),
        ("-3", "the amount must be more than zero"),
        ("abc", "'abc' is not an amount"),
    ],
)
def test_parse_amount_explains_mistakes(credits: Currency, text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.parse_amount(credits, text)
    assert exc.value.message == message


def test_parse_amount_reads_decimals_exactly(credits: Currency, hours: Currency) -> None:
    assert services.parse_amount(credits, "12.5") == 1250
    assert services.parse_amount(hours, "90") == 90


def test_payer_equal_to_payee_wrong_currency_and_unknown_account(
    member: User, ada_acc: Account, hours: Currency
) -> None:
    with pytest.raises(ValidationFailed) as same:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=ada_acc, amount_minor=1, key="a"
        )
    assert same.value.field == "payee"
    ada_hours = services.account_open(actor=member, currency=hours)
    other = make_member(username="cy", password="x")
    cy_hours = services.account_open(actor=other, currency=hours)
    with pytest.raises(ValidationFailed) as wrong:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=cy_hours, amount_minor=1, key="b"
        )
    assert wrong.value.field == "currency"
    assert "both accounts need the same currency" in wrong.value.message
    with pytest.raises(NotFound):
        services.transfer_create(
            actor=member, payer=ada_hours, payee=999_999, amount_minor=1, key="c"
        )


def test_nobody_pays_from_someone_elses_account(
    other_member: User, steward: User, ada_acc: Account, bo_acc: Account
) -> None:
    before = _state()
    for actor in (other_member, steward):
        with pytest.raises(PermissionDenied):
            services.transfer_create(
                actor=actor, payer=ada_acc, payee=bo_acc, amount_minor=1, key="s"
            )
    assert _state() == before


def test_a_time_bank_gives_the_starting_grant_once(member: User, hours: Currency) -> None:
    account = services.account_open(actor=member, currency=hours)
    again = services.account_open(actor=member, currency=hours)
    assert again.pk == account.pk
    account.refresh_from_db()
    assert account.balance == 120
    assert hours.format(account.balance) == "2:00 h"
    network = services.network_account(hours)
    network.refresh_from_db()
    assert network.balance == -120
    assert verify().ok


def test_above_the_threshold_the_amount_is_held_until_a_steward_approves(
    member: User, steward: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    services.currency_update(
        actor=steward, currency=credits, reason="big payments checked", authorisation_threshold=5000
    )
    pending = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=6000, key="big"
    )
    ada_acc.refresh_from_db()
    assert (pending.status, ada_acc.balance, ada_acc.reserved) == ("pending", 0, 6000)
    # the hold counts against the limit
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=4500, key="more"
        )
    assert exc.value.message == (
        "this payment would take your balance to -105.00, below your limit of -100.00"
        " (60.00 is held for payments awaiting authorisation)"
    )
    with pytest.raises(PermissionDenied):
        services.transfer_approve(actor=member, transfer=pending)
    approved = services.transfer_approve(actor=steward, transfer=pending, reason="known")
    ada_acc.refresh_from_db()
    assert (approved.status, ada_acc.balance, ada_acc.reserved) == ("completed", -6000, 0)
    assert services.transfer_approve(actor=steward, transfer=pending).pk == approved.pk
    assert verify().ok


def test_a_rejected_payment_releases_the_hold(
    member: User, steward: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    credits.authorisation_threshold = 100
    credits.save()
    pending = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=200, key="p"
    )
    services.transfer_reject(actor=steward, transfer=pending, reason="unknown payee")
    ada_acc.refresh_from_db()
    assert (ada_acc.balance, ada_acc.reserved) == (0, 0)
    with pytest.raises(Conflict):
        services.transfer_approve(actor=steward, transfer=pending)
    assert verify().ok


def test_a_levy_goes_to_the_network_account(
    member: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    credits.levy_basis_points = 200  # 2 %
    credits.save()
    transfer = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1050, key="l"
    )
    ada_acc.refresh_from_db()
    network = services.network_account(credits)
    assert ada_acc.balance == -1071
    assert network.balance == 21
    assert transfer.levies.get().amount_minor == 21
    assert verify().ok


def test_bulk_one_to_many_is_all_or_nothing(
    member: User, ada_acc: Account, bo_acc: Account, credits: Currency
) -> None:
    cy = services.account_open(actor=make_member(username="cy"), currency=credits)
    before = _state()
    with pytest.raises(ValidationFailed) as exc:
        batches.bulk_transfer(
            actor=member,
            kind="one_to_many",
            counterparty=ada_acc,
            lines=[(bo_acc.pk, 4000, "", ""), (cy.pk, 4000, "", ""), (bo_acc.pk, 4000, "", "")],
            key="bulk1",
        )
    assert exc.value.message == (
        "line 3: this payment would take your balance to -120.00, below your limit of -100.00"
    )
    assert _state() == before
    batch = batches.bulk_transfer(
        actor=member,
        kind="one_to_many",
        counterparty=ada_acc,
        lines=[(bo_acc.pk, 4000, "", ""), (cy.pk, 4000, "", "")],
        key="bulk2",
    )
    assert batch.transfers.count() == 2
    ada_acc.refresh_from_db()
    assert ada_acc.balance == -8000
    assert verify().ok


def test_many_to_one_is_for_stewards(
    member: User,
    steward: User,
    ada_acc: Account,
    bo_acc: Account,
    credits: Currency,
    make_org: Any,
) -> None:
    asked = services.account_request_create(
        actor=steward, currency=credits, organisation=make_org("Common pot", created_by=steward)
    )
    pot = services.account_request_approve(actor=steward, request=asked, reason="ok").account
    assert pot is not None
    lines = [(ada_acc.pk, 100, "fee", ""), (bo_acc.pk, 100, "fee", "")]
    with pytest.raises(PermissionDenied):
        batches.bulk_transfer(
            actor=member, kind="many_to_one", counterparty=pot, lines=lines, key="m"
        )
    batches.bulk_transfer(actor=steward, kind="many_to_one", counterparty=pot, lines=lines, key="m")
    pot.refresh_from_db()
    assert pot.balance == 200


def test_a_reversal_is_a_new_transfer_and_happens_once(
    member: User, other_member: User, steward: User, ada_acc: Account, bo_acc: Account
) -> None:
    original = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=700, key="o"
    )
    with pytest.raises(PermissionDenied):
        services.transfer_reverse(actor=member, transfer=original, reason="oops", key="r")
    reversal = services.transfer_reverse(
        actor=other_member, transfer=original, reason="refund", key="r"
    )
    assert (reversal.payer_id, reversal.payee_id, reversal.kind) == (
        bo_acc.pk,
        ada_acc.pk,
        "reversal",
    )
    ada_acc.refresh_from_db()
    assert ada_acc.balance == 0
    with pytest.raises(Conflict):
        services.transfer_reverse(actor=steward, transfer=original, reason="again", key="r2")
    assert Transfer.objects.get(pk=original.pk).amount_minor == 700
    assert verify().ok


def test_limit_changes_are_logged_with_who_and_why(
    member: User, steward: User, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=5000, key="k")
    with pytest.raises(PermissionDenied):
        services.account_limits_set(
            actor=member, account=ada_acc, credit_limit=99_999, upper_limit=None, reason="me"
        )
    with pytest.raises(ValidationFailed) as exc:
        services.account_limits_set(
            actor=steward, account=ada_acc, credit_limit=4000, upper_limit=None, reason="x"
        )
    assert exc.value.message == "the balance -50.00 is already below the new limit of -40.00"
    services.account_limits_set(
        actor=steward, account=ada_acc, credit_limit=20_000, upper_limit=None, reason="trusted"
    )
    event = AuditEvent.objects.get(verb="ledger.account.limits")
    assert (event.actor, event.reason) == (steward, "trusted")
    assert event.data == {
        "before": {"credit_limit": 10_000, "upper_limit": 50_000},
        "after": {"credit_limit": 20_000, "upper_limit": None},
    }


def test_the_database_refuses_a_balance_below_the_limit(ada_acc: Account) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=ada_acc.pk).update(balance=-10_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=ada_acc.pk).update(balance=50_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=ada_acc.pk).update(reserved=10_001)


def test_journal_entries_cannot_be_edited_through_the_orm(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1, key="k")
    entry = Entry.objects.first()
    assert entry is not None
    entry.amount = 5
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_verify_names_the_entry_altered_with_raw_sql(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    for i in range(5):
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100 + i, key=f"t{i}"
        )
    target = Entry.objects.filter(account=bo_acc).order_by("seq")[2]
    table = Entry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET amount = amount + 1 WHERE id = %s", [target.pk])
    report = verify()
    assert not report.ok
    assert report.first is not None
    assert report.first.entry_id == target.pk
    assert report.first.message.startswith(f"entry {target.pk}:")


def test_payment_request_accept_and_decline(
    member: User, other_member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given bo asks ada for 8.00
    req = payment_requests.request_create(
        actor=other_member, payee=bo_acc, payer=ada_acc, amount_minor=800, memo="plums"
    )
    # a stranger (bo himself) cannot accept on ada's behalf
    with pytest.raises(NotFound):
        payment_requests.request_accept(actor=other_member, request=req)
    transfer = payment_requests.request_accept(actor=member, request=req)
    assert payment_requests.request_accept(actor=member, request=req).pk == transfer.pk
    req.refresh_from_db()
    assert (req.status, transfer.kind, transfer.amount_minor) == ("accepted", "request", 800)
    second = payment_requests.request_create(
        actor=other_member, payee=bo_acc, payer=ada_acc, amount_minor=100
    )
    payment_requests.request_decline(actor=member, request=second, reason="no")
    with pytest.raises(Conflict):
        payment_requests.request_accept(actor=member, request=second)
    assert PaymentRequest.objects.get(pk=second.pk).status == "declined"
    with pytest.raises(PermissionDenied):
        payment_requests.request_create(actor=member, payee=bo_acc, payer=ada_acc, amount_minor=1)


def test_import_names_the_line_and_writes_nothing(
    steward: User, ada_acc: Account, bo_acc: Account
) -> None:
    lines = [
        batches.BatchLine(ada_acc.pk, bo_acc.pk, 100, line=2),
        batches.BatchLine(ada_acc.pk, ada_acc.pk, 100, line=3),
    ]
    before = _state()
    with pytest.raises(ValidationFailed) as exc:
        batches.import_transfers(actor=steward, lines=lines, key="file")
    assert exc.value.message == "line 3: the payer and the payee are the same account"
    assert _state() == before


def test_currency_settings_need_a_steward(member: User, credits: Currency) -> None:
    with pytest.raises(PermissionDenied):
        services.currency_update(actor=member, currency=credits, reason="x", starting_grant=5)
    with pytest.raises(PermissionDenied):
        services.currency_create(actor=member, code="NEW", name="New")


def test_a_soft_limit_only_warns(
    member: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    credits.soft_credit_limit = 5000
    credits.save()
    transfer = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=6000, key="soft"
    )
    assert transfer.status == "completed"
    assert transfer.warnings == ["ada is now at -60.00, below the soft limit of -50.00"]
