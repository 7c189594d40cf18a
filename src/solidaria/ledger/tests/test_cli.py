from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from solidaria.accounts.models import User
from solidaria.ledger import demo, services
from solidaria.ledger.models import Account, Currency, Entry, Listing, Transfer

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("ledger", *args, stdout=out)
    return out.getvalue()


def test_verify_passes_on_an_untouched_ledger(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(actor=member, payer=ada_acc, payee=bo_acc, amount_minor=5, key="a")
    assert _run("verify").startswith("ok: 2 entries, 3 accounts, 1 transfers")
    assert json.loads(_run("verify", "--json"))["ok"] is True


def test_verify_fails_at_the_altered_entry_with_exit_1(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    for i in range(3):
        services.transfer_create(
            actor=member, payer=ada_acc, payee=bo_acc, amount_minor=10, key=f"v{i}"
        )
    target = Entry.objects.get(account=ada_acc, seq=2)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Entry._meta.db_table} SET balance_after = 999 WHERE id = %s", [target.pk]
        )
    with pytest.raises(CommandError) as exc:
        _run("verify")
    assert exc.value.returncode == 1
    assert f"entry {target.pk}:" in str(exc.value)


def test_verify_catches_a_cached_balance_changed_behind_its_back(ada_acc: Account) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Account._meta.db_table} SET balance = 100 WHERE id = %s", [ada_acc.pk]
        )
    with pytest.raises(CommandError) as exc:
        _run("verify")
    assert f"account {ada_acc.pk}: balance is 100 but its entries sum to 0" in str(exc.value)


def test_import_is_all_or_nothing_and_idempotent(
    tmp_path: Path, ada_acc: Account, bo_acc: Account
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "payer,payee,amount,currency,memo\nada,bo,12.50,CRED,jam\nbo,ada,2,CRED,\n"
        f"network,#{ada_acc.pk},1,CRED,gift\n"
    )
    assert _run("import", str(good)).startswith("imported: batch")
    assert _run("import", str(good)).startswith("already imported")
    ada_acc.refresh_from_db()
    assert ada_acc.balance == -1250 + 200 + 100
    assert Transfer.objects.filter(kind="import").count() == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("payer,payee,amount\nada,bo,1\n", "line 1, field currency: no currency column"),
        ("payer,payee,amount,currency\nada,bo,1.001,CRED\n", "line 2, field amount: 1.001 has"),
        ("payer,payee,amount,currency\nada,bo,1,CRED\nada,zed,1,CRED\n", "line 3, field payee"),
        ("payer,payee,amount,currency\nada,bo,1,XXX\n", "line 2, field currency"),
        (
            "payer,payee,amount,currency\nada,bo,60,CRED\nada,bo,60,CRED\n",
            "line 3, field amount: this payment would take the balance of ada to -120.00",
        ),
        ("payer,payee,amount,currency\nada,ada,1,CRED\n", "line 2, field payee: the payer"),
    ],
)
def test_import_bad_lines_exit_2_with_line_and_field(
    tmp_path: Path, ada_acc: Account, bo_acc: Account, body: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(CommandError) as exc:
        _run("import", str(path))
    assert exc.value.returncode == 2
    assert message in str(exc.value)
    assert Transfer.objects.count() == 0


def test_demo_loads_a_time_bank_and_a_community_currency_once() -> None:
    out = io.StringIO()
    demo.load(stdout=out)
    counts = (
        Currency.objects.count(),
        Account.objects.count(),
        Transfer.objects.count(),
        Listing.objects.count(),
        Entry.objects.count(),
    )
    demo.load(stdout=out)
    assert counts == (
        Currency.objects.count(),
        Account.objects.count(),
        Transfer.objects.count(),
        Listing.objects.count(),
        Entry.objects.count(),
    )
    ana = Account.objects.get(currency__code="HOURS", owner__username="ana")
    assert ana.balance == 120 - 90 + 60
    assert _run("verify").startswith("ok:")
