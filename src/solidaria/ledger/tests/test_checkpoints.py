"""Checkpoints pin the whole journal with a key the database does not hold: a rewrite
that recomputes every hash passes plain verify and fails `verify --checkpoints`."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from solidaria.accounts.models import User
from solidaria.core.models import AppendOnlyError, AuditEvent
from solidaria.ledger import checkpoints, services, tasks
from solidaria.ledger.journal import canonical_time, canonical_transfer
from solidaria.ledger.models import (
    GENESIS_HASH,
    Account,
    Checkpoint,
    Entry,
    Transfer,
    entry_canonical,
    entry_hash,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _key(settings: Any) -> None:
    settings.SOLIDARIA_LEDGER_CHECKPOINT_KEY = "a key kept off the database server"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("ledger", *args, stdout=out)
    return out.getvalue()


def _pay(member: User, ada_acc: Account, bo_acc: Account, key: str) -> Transfer:
    return services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, memo=f"memo {key}", key=key
    )


def _download(tmp_path: Path) -> Path:
    response = Client().get("/ledger/checkpoints.json")
    assert response.status_code == 200
    path = tmp_path / "checkpoints.json"
    path.write_bytes(response.content)
    return path


def _rewrite_memo(transfer: Transfer, memo: str) -> None:
    """An attacker with database access: change a memo, then recompute every hash after
    it, and the account heads, so that every chain is consistent again."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_transfer SET memo = %s WHERE id = %s", [memo, transfer.pk])
    for account_id in (transfer.payer_id, transfer.payee_id):
        head = GENESIS_HASH
        for entry in Entry.objects.filter(account_id=account_id).order_by("seq"):
            canonical = entry_canonical(
                account_id=account_id,
                seq=entry.seq,
                transfer_id=entry.transfer_id,
                amount=entry.amount,
                balance_after=entry.balance_after,
                created_at_iso=canonical_time(entry.created_at),
                transfer=canonical_transfer(Transfer.objects.get(pk=entry.transfer_id)),
            )
            digest = entry_hash(head, canonical)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE ledger_entry SET prev_hash = %s, hash = %s WHERE id = %s",
                    [head, digest, entry.pk],
                )
            head = digest
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_account SET head_hash = %s WHERE id = %s", [head, account_id]
            )


def test_a_checkpoint_of_an_empty_journal_and_no_second_one_without_new_entries(
    db: None,
) -> None:
    first = checkpoints.take_checkpoint()
    again = checkpoints.take_checkpoint()
    assert (first.last_entry_id, first.entry_count, first.head_hash) == (0, 0, GENESIS_HASH)
    assert again.pk == first.pk
    assert Checkpoint.objects.count() == 1
    assert AuditEvent.objects.filter(verb="ledger.checkpoint.create").count() == 1


def test_a_checkpoint_folds_every_entry_from_the_previous_one(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given one checkpoint, then two more payments
    _pay(member, ada_acc, bo_acc, "a")
    first = checkpoints.take_checkpoint()
    _pay(member, ada_acc, bo_acc, "b")
    # when a second checkpoint is taken
    second = checkpoints.take_checkpoint()
    # then it is the digest of all four entries in id order, from the genesis
    digest = GENESIS_HASH
    for pk, entry_hash_ in Entry.objects.order_by("pk").values_list("pk", "hash"):
        digest = checkpoints.fold(digest, pk, entry_hash_)
    top = Entry.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert (first.entry_count, second.entry_count, second.last_entry_id) == (2, 4, top)
    assert second.head_hash == digest
    assert second.mac == checkpoints.mac(
        b"a key kept off the database server",
        checkpoints.canonical(
            last_entry_id=second.last_entry_id,
            entry_count=4,
            head_hash=digest,
            created_at=canonical_time(second.created_at),
        ),
    )


def test_the_checkpoints_are_public_json_and_in_the_api(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    _pay(member, ada_acc, bo_acc, "a")
    made = checkpoints.take_checkpoint()
    page = Client().get("/ledger/checkpoints.json")
    api = Client().get("/api/ledger/checkpoints")
    expected = [
        {
            "id": made.pk,
            "last_entry_id": made.last_entry_id,
            "entry_count": 2,
            "head_hash": made.head_hash,
            "created_at": canonical_time(made.created_at),
            "key_id": checkpoints.key_id(b"a key kept off the database server"),
            "mac": made.mac,
        }
    ]
    assert (page.status_code, page["Content-Type"], page.json()) == (
        200,
        "application/json",
        expected,
    )
    assert (api.status_code, api.json()) == (200, expected)


def test_verify_with_checkpoints_passes_on_an_untouched_journal(
    tmp_path: Path, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    for key in ("a", "b"):
        _pay(member, ada_acc, bo_acc, key)
        checkpoints.take_checkpoint()
    path = _download(tmp_path)
    assert _run("verify", "--checkpoints", str(path)) == (
        "ok: 4 entries, 3 accounts, 2 transfers, 1 currencies verified; 2 checkpoints match\n"
    )
    report = json.loads(_run("verify", "--json", "--checkpoints", str(path)))
    assert (report["ok"], report["checkpoints"], report["checkpoint_problem"]) == (True, 2, None)


def test_a_rewrite_that_recomputes_every_hash_is_caught_by_the_checkpoints(
    tmp_path: Path, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    # given three payments, each followed by a published checkpoint
    made = []
    transfers = []
    for key in ("a", "b", "c"):
        transfers.append(_pay(member, ada_acc, bo_acc, key))
        made.append(checkpoints.take_checkpoint())
    path = _download(tmp_path)
    # when the second payment's memo is rewritten and every later hash recomputed
    _rewrite_memo(transfers[1], "nothing to see here")
    # then plain verify passes: every chain is consistent again
    assert _run("verify").startswith("ok: 6 entries")
    # but verify --checkpoints fails, at the second checkpoint, the first made after it
    with pytest.raises(CommandError) as exc:
        _run("verify", "--checkpoints", str(path))
    assert exc.value.returncode == 1
    assert str(exc.value) == (
        f"ledger checkpoints FAILED: checkpoint {made[1].pk} of "
        f"{canonical_time(made[1].created_at)}: the journal up to entry "
        f"{made[1].last_entry_id} no longer has the digest it had then"
    )


def test_deleted_entries_are_caught_by_the_count(
    tmp_path: Path, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    _pay(member, ada_acc, bo_acc, "a")
    made = checkpoints.take_checkpoint()
    path = _download(tmp_path)
    report = checkpoints.verify_checkpoints(checkpoints.parse(json.loads(path.read_text())))
    assert report.ok
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_entry")
    report = checkpoints.verify_checkpoints(checkpoints.parse(json.loads(path.read_text())))
    assert (report.checkpoint_id, report.checked) == (made.pk, 0)
    assert report.problem is not None
    assert report.problem.endswith(
        f"the journal now has 0 entries up to entry {made.last_entry_id}, not 2"
    )


def test_an_altered_checkpoint_or_one_from_another_key_is_refused(
    tmp_path: Path, settings: Any, member: User, ada_acc: Account, bo_acc: Account
) -> None:
    _pay(member, ada_acc, bo_acc, "a")
    made = checkpoints.take_checkpoint()
    items = checkpoints.published_list()
    # an attacker publishes a checkpoint of the rewritten journal without the key
    forged = [dict(items[0], head_hash="f" * 64)]
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    with pytest.raises(CommandError) as exc:
        _run("verify", "--checkpoints", str(path))
    assert str(exc.value).endswith(
        f"checkpoint {made.pk} of {canonical_time(made.created_at)}: its MAC is not valid "
        "with this instance's key (the checkpoint was altered)"
    )
    # and a genuine checkpoint checked with another key names the key it was made with
    settings.SOLIDARIA_LEDGER_CHECKPOINT_KEY = "another key"
    report = checkpoints.verify_checkpoints(items)
    assert report.problem is not None
    assert report.problem.endswith(f"it was made with another key (key id {made.key_id})")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "cannot read the checkpoints"),
        ('{"a": 1}', "the file is not a list of checkpoints"),
        ('[{"id": 1}]', "item 1 has no valid field last_entry_id"),
    ],
)
def test_an_unreadable_checkpoints_file_is_exit_2(
    tmp_path: Path, db: None, body: str, message: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(body)
    with pytest.raises(CommandError) as exc:
        _run("verify", "--checkpoints", str(path))
    assert exc.value.returncode == 2
    assert message in str(exc.value)


def test_the_key_defaults_to_one_derived_from_the_secret_key(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SOLIDARIA_LEDGER_CHECKPOINT_KEY = ""
    monkeypatch.delenv("SOLIDARIA_LEDGER_CHECKPOINT_KEY", raising=False)
    derived = checkpoints.checkpoint_key()
    assert derived not in (settings.SECRET_KEY.encode(), b"")
    monkeypatch.setenv("SOLIDARIA_LEDGER_CHECKPOINT_KEY", "from the environment")
    assert checkpoints.checkpoint_key() == b"from the environment"


def test_production_needs_a_checkpoint_key_of_its_own(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SOLIDARIA_LEDGER_CHECKPOINT_KEY = ""
    settings.PRODUCTION = True
    monkeypatch.delenv("SOLIDARIA_LEDGER_CHECKPOINT_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="needs a ledger checkpoint key of its own"):
        checkpoints.checkpoint_key()
    monkeypatch.setenv("SOLIDARIA_LEDGER_CHECKPOINT_KEY", "kept elsewhere")
    assert checkpoints.checkpoint_key() == b"kept elsewhere"


def test_the_cli_and_the_task_take_checkpoints(
    member: User, ada_acc: Account, bo_acc: Account
) -> None:
    _pay(member, ada_acc, bo_acc, "a")
    line = _run("checkpoint")
    made = Checkpoint.objects.get()
    assert line == (
        f"checkpoint {made.pk}: 2 entries up to entry {made.last_entry_id}, "
        f"digest {made.head_hash}\n"
    )
    _pay(member, ada_acc, bo_acc, "b")
    result = tasks.take_checkpoint.enqueue()
    assert Checkpoint.objects.count() == 2
    assert (
        result.return_value
        == Checkpoint.objects.order_by("-pk").values_list("pk", flat=True).first()
    )


def test_checkpoints_are_append_only(db: None) -> None:
    made = checkpoints.take_checkpoint()
    made.head_hash = "f" * 64
    with pytest.raises(AppendOnlyError):
        made.save()
    with pytest.raises(AppendOnlyError):
        Checkpoint.objects.all().delete()
    assert Checkpoint.objects.get().head_hash == GENESIS_HASH
