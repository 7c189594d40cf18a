"""The payment hot path: optimistic idempotency, rows sent together, system accounts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from solidaria.accounts.models import User
from solidaria.core.errors import ValidationFailed
from solidaria.core.models import AuditEvent, IdempotencyRecord
from solidaria.ledger import services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Currency, Entry, Transfer

pytestmark = pytest.mark.django_db


def test_a_repeat_returns_the_first_payment_even_when_the_payer_has_no_room_left(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given ada paid her whole credit limit (100.00) with key "all"
    first = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=10_000, key="all"
    )
    # when the same request comes again (a second payment would break the limit)
    again = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=10_000, key="all"
    )
    # then it is the first payment, and nothing moved twice
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    ada_acc.refresh_from_db()
    assert ada_acc.balance == -10_000
    assert Transfer.objects.count() == 1
    assert verify().ok


def test_a_payment_writes_its_transfer_entries_audit_event_and_key_together(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # when ada pays bo twice
    one = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="one"
    )
    two = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=200, key="two"
    )
    # then every row is there, chained, and the returned objects carry their ids
    assert list(Transfer.objects.order_by("pk").values_list("pk", "amount_minor")) == [
        (one.pk, 100),
        (two.pk, 200),
    ]
    assert list(
        Entry.objects.filter(account=ada_acc).order_by("seq").values_list("transfer_id", "seq")
    ) == [(one.pk, 1), (two.pk, 2)]
    assert list(
        AuditEvent.objects.filter(verb="ledger.transfer")
        .order_by("pk")
        .values_list("object_id", "actor_id", "data")
    ) == [
        (str(one.pk), member.pk, {"amount": 100, "payer": ada_acc.pk, "payee": bo_acc.pk}),
        (str(two.pk), member.pk, {"amount": 200, "payer": ada_acc.pk, "payee": bo_acc.pk}),
    ]
    assert list(
        IdempotencyRecord.objects.order_by("pk").values_list("key", "result_type", "result_id")
    ) == [
        (f"{member.pk}:one", "ledger.transfer", str(one.pk)),
        (f"{member.pk}:two", "ledger.transfer", str(two.pk)),
    ]
    assert verify().ok


def test_a_payment_with_a_levy_and_its_repeat(
    member: User, credits: Currency, ada_acc: Account, bo_acc: Account
) -> None:
    # given a 2 % levy
    credits.levy_basis_points = 200
    credits.save()
    # when ada pays 10.00 twice with the same key
    first = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1000, key="levy"
    )
    again = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=1000, key="levy"
    )
    # then she paid 10.00 and 0.20 of levy, once
    ada_acc.refresh_from_db()
    assert (again.pk, ada_acc.balance) == (first.pk, -1020)
    assert list(Transfer.objects.order_by("pk").values_list("kind", "amount_minor")) == [
        ("payment", 1000),
        ("levy", 20),
    ]
    assert verify().ok


@pytest.mark.postgres
# the payee's notification is a task queued after commit (notifications.events); the
# dummy task backend keeps it out of this count, as a worker would
@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}})
def test_a_payment_is_one_statement_on_postgresql(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # when ada pays bo
    with CaptureQueriesContext(connection) as queries:
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="rt"
        )
    # then one call of ledger_pay did all of it (in autocommit: one round trip)
    assert [q["sql"].split("(")[0] for q in queries.captured_queries] == [
        "SELECT outcome, transfer_id, currency_id FROM ledger_pay"
    ]
    assert verify().ok


def test_system_account_is_made_once_without_owner_or_limits(credits: Currency) -> None:
    # when another app asks twice for its system account
    first = services.system_account(currency=credits, name="coop:bakery")
    again = services.system_account(currency=credits, name=" coop:bakery ")
    # then it is one account, a system account without owner or limits
    assert again.pk == first.pk
    assert (first.kind, first.owner_id, first.credit_limit, first.upper_limit) == (
        Account.Kind.SYSTEM,
        None,
        None,
        None,
    )
    assert Account.objects.filter(currency=credits, name="coop:bakery").count() == 1


def test_system_account_needs_a_name(credits: Currency) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.system_account(currency=credits, name="  ")
    assert exc.value.field == "name"
