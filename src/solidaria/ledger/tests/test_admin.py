"""The admin shows value-bearing rows and changes none of them, even for a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.clearing import services as clearing
from solidaria.clearing.models import Obligation
from solidaria.core.admin import ReadOnlyAdminMixin
from solidaria.ledger import services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Currency, Entry, Transfer

pytestmark = pytest.mark.django_db

VALUE_BEARING = [
    "ledger.Currency",
    "ledger.Account",
    "ledger.Transfer",
    "ledger.Entry",
    "ledger.PaymentRequest",
    "ledger.Checkpoint",
    "clearing.Obligation",
    "clearing.ClearingRun",
    "clearing.RunItem",
    "clearing.SetOff",
    "clearing.RunResponse",
    "clearing.Settlement",
    "governance.Membership",
    "governance.Ballot",
    "governance.CapitalEntry",
    "governance.PollResult",
    "governance.OutcomeVersion",
    "governance.BylawsVersion",
    "governance.AllocationRun",
    "governance.PatronageInput",
    "governance.AllocationLine",
    "governance.AllocationAcceptance",
    "budgeting.Ballot",
    "core.AuditEvent",
]


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", "a long password 1")


@pytest.fixture
def root_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("label", VALUE_BEARING)
def test_every_value_bearing_model_is_view_only_for_a_superuser(
    label: str, superuser: User
) -> None:
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    assert isinstance(model_admin, ReadOnlyAdminMixin)
    assert (
        model_admin.has_view_permission(request),
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
    ) == (True, False, False, False)


def _url(obj: object, view: str) -> str:
    meta = obj._meta  # type: ignore[attr-defined]
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])  # type: ignore[attr-defined]


def test_a_transfer_change_page_is_read_only_and_a_post_changes_nothing(
    root_client: Client, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given a payment
    transfer = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=300, memo="jam", key="t"
    )
    # when a superuser opens its change page, then it shows the row with no form to save
    page = root_client.get(_url(transfer, "change"))
    assert page.status_code == 200
    assert b"jam" in page.content
    assert b'name="_save"' not in page.content
    # and when they post a new memo and amount, or ask to delete it, they are refused
    posted = root_client.post(_url(transfer, "change"), {"memo": "cake", "amount_minor": 1})
    deleted = root_client.post(_url(transfer, "delete"), {"post": "yes"})
    assert (posted.status_code, deleted.status_code) == (403, 403)
    # and nothing changed
    assert Transfer.objects.filter(pk=transfer.pk).values_list("memo", "amount_minor").get() == (
        "jam",
        300,
    )
    assert verify().ok


def test_an_account_balance_and_an_entry_cannot_be_changed_in_the_admin(
    root_client: Client, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=50, key="e")
    entry = Entry.objects.filter(account=ada_acc).get()
    # when a superuser posts a new balance and a new entry amount
    to_account = root_client.post(
        _url(ada_acc, "change"), {"balance": 999_999, "credit_limit": 10**9, "name": "x"}
    )
    to_entry = root_client.post(_url(entry, "change"), {"amount": 5, "balance_after": 5})
    add = root_client.post(reverse("admin:ledger_transfer_add"), {"amount_minor": 7})
    # then each is refused and the ledger is as it was
    assert (to_account.status_code, to_entry.status_code, add.status_code) == (403, 403, 403)
    ada_acc.refresh_from_db()
    assert (ada_acc.balance, ada_acc.name) == (-50, "ada")
    assert Entry.objects.get(pk=entry.pk).amount == -50
    assert Transfer.objects.count() == 1


def test_an_obligation_cannot_be_changed_in_the_admin(
    root_client: Client, member: User, other_member: User, credits: Currency
) -> None:
    ob = clearing.obligation_create(
        actor=member,
        currency=credits,
        debtor=member,
        creditor=other_member,
        amount_minor=4200,
        reference="invoice 7",
        key="o",
    )
    page = root_client.get(_url(ob, "change"))
    posted = root_client.post(_url(ob, "change"), {"amount_minor": 1, "reference": "paid"})
    assert (page.status_code, posted.status_code) == (200, 403)
    assert Obligation.objects.filter(pk=ob.pk).values_list("amount_minor", "reference").get() == (
        4200,
        "invoice 7",
    )
