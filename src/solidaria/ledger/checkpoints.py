"""Checkpoints: the whole journal pinned with a key the database does not hold.

Each account's hash chain catches an edit of one row, but not someone with write access
to the database who edits a row and recomputes every later hash (and the account heads).
A checkpoint records, for the journal up to one entry id, its digest, the number of
entries and the time, with an HMAC-SHA256 made with `SOLIDARIA_LEDGER_CHECKPOINT_KEY`.
Checkpoints are public (`/ledger/checkpoints.json`, `GET /api/ledger/checkpoints`):
anyone may keep copies. `solidaria ledger verify --checkpoints FILE` checks each
checkpoint's MAC and that today's journal still has the digest it had at that position,
so a rewrite shows up at the first checkpoint made after the rewritten entry.

The digest folds the entries in id order: D0 = 64 zeros, Dn = sha256(Dn-1 | id | hash).
Each entry's hash covers its transfer and its account's previous hash, so the digest
covers every field of every completed transfer.

The key: the environment variable `SOLIDARIA_LEDGER_CHECKPOINT_KEY` (or a setting of that
name). Without it, in development, the key is HMAC-SHA256(SECRET_KEY, the salt
`solidaria.ledger.checkpoint-key`), so it is still not in the database; production
(`SOLIDARIA_ENV=production`) refuses to checkpoint or check without a key of its own,
kept apart from the database and its backups. The `key_id` published with each
checkpoint names the key (a hash of it), not the key itself.

Taking a checkpoint (`solidaria ledger checkpoint`, the task `take_checkpoint`, and the
end of `solidaria demo`): on PostgreSQL a SHARE lock on the journal for one query waits
for the payments in flight and gives the highest entry id below which every entry is
committed; the digest is then computed from the previous checkpoint without holding it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.ledger.journal import canonical_time
from solidaria.ledger.models import GENESIS_HASH, Checkpoint, Entry

KEY_VARIABLE = "SOLIDARIA_LEDGER_CHECKPOINT_KEY"
_DERIVATION_SALT = b"solidaria.ledger.checkpoint-key"


def checkpoint_key() -> bytes:
    configured = getattr(settings, KEY_VARIABLE, "") or os.environ.get(KEY_VARIABLE, "")
    if configured:
        return str(configured).encode()
    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured(
            "SOLIDARIA_ENV=production needs a ledger checkpoint key of its own: set "
            f"{KEY_VARIABLE} (e.g. 64 random hex characters), kept apart from the database."
        )
    return hmac.new(settings.SECRET_KEY.encode(), _DERIVATION_SALT, hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"solidaria.ledger.checkpoint-key-id|" + key).hexdigest()[:16]


def canonical(*, last_entry_id: int, entry_count: int, head_hash: str, created_at: str) -> str:
    return f"solidaria-ledger-checkpoint-v1|{last_entry_id}|{entry_count}|{head_hash}|{created_at}"


def mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def fold(digest: str, entry_id: int, entry_hash: str) -> str:
    """One step of the journal digest."""
    return hashlib.sha256(f"{digest}|{entry_id}|{entry_hash}".encode()).hexdigest()


def _entries(after: int, upto: int | None = None) -> Iterator[tuple[int, str]]:
    rows = Entry.objects.filter(pk__gt=after)
    if upto is not None:
        rows = rows.filter(pk__lte=upto)
    return rows.order_by("pk").values_list("pk", "hash").iterator(chunk_size=10000)


def _committed_position() -> int:
    """The highest entry id such that no entry with a lower id can still appear."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Entry._meta.db_table} IN SHARE MODE")
        return Entry.objects.aggregate(top=Max("pk"))["top"] or 0


def take_checkpoint(*, actor: Any = None) -> Checkpoint:
    """Checkpoint the journal as it is now; with no entry since the last checkpoint, the
    last one is returned and nothing is written."""
    position = _committed_position()
    with transaction.atomic():
        if connection.vendor == "postgresql":  # one checkpointer at a time
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Checkpoint._meta.db_table} IN EXCLUSIVE MODE")
        last = Checkpoint.objects.order_by("-last_entry_id").first()
        if last is not None and last.last_entry_id >= position:
            return last
        digest, count, start = (
            (last.head_hash, last.entry_count, last.last_entry_id)
            if last is not None
            else (GENESIS_HASH, 0, 0)
        )
        for pk, entry_hash in _entries(start, position):
            digest = fold(digest, pk, entry_hash)
            count += 1
        key = checkpoint_key()
        now = timezone.now()
        checkpoint = Checkpoint(
            last_entry_id=position,
            entry_count=count,
            head_hash=digest,
            created_at=now,
            key_id=key_id(key),
        )
        checkpoint.mac = mac(key, _canonical_of(checkpoint))
        checkpoint.save(force_insert=True)
        audit.record(
            actor=actor,
            verb="ledger.checkpoint.create",
            obj=checkpoint,
            data={"last_entry_id": position, "entry_count": count, "head_hash": digest},
        )
        return checkpoint


def _canonical_of(checkpoint: Checkpoint) -> str:
    return canonical(
        last_entry_id=checkpoint.last_entry_id,
        entry_count=checkpoint.entry_count,
        head_hash=checkpoint.head_hash,
        created_at=canonical_time(checkpoint.created_at),
    )


def published(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint as the public JSON lists it (and `verify --checkpoints` reads it)."""
    return {
        "id": checkpoint.pk,
        "last_entry_id": checkpoint.last_entry_id,
        "entry_count": checkpoint.entry_count,
        "head_hash": checkpoint.head_hash,
        "created_at": canonical_time(checkpoint.created_at),
        "key_id": checkpoint.key_id,
        "mac": checkpoint.mac,
    }


def published_list() -> list[dict[str, Any]]:
    return [published(c) for c in Checkpoint.objects.order_by("last_entry_id")]


# --- verification --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    problem: str | None = None
    checkpoint_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class MalformedCheckpoints(ValueError):
    """The file is not a list of checkpoints as `/ledger/checkpoints.json` publishes."""


_FIELDS = {
    "id": int,
    "last_entry_id": int,
    "entry_count": int,
    "head_hash": str,
    "created_at": str,
    "key_id": str,
    "mac": str,
}


def parse(document: Any) -> list[dict[str, Any]]:
    """The checkpoints of a downloaded document (a list, or {"checkpoints": [...]})."""
    items = document.get("checkpoints") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise MalformedCheckpoints(_("the file is not a list of checkpoints"))
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise MalformedCheckpoints(
                _("item %(number)s is not a checkpoint") % {"number": number}
            )
        for name, kind in _FIELDS.items():
            if not isinstance(item.get(name), kind) or isinstance(item.get(name), bool):
                raise MalformedCheckpoints(
                    _("item %(number)s has no valid field %(field)s")
                    % {"number": number, "field": name}
                )
    return sorted(items, key=lambda item: (item["last_entry_id"], item["id"]))


def verify_checkpoints(items: Iterable[dict[str, Any]]) -> CheckpointReport:
    """Check each checkpoint's MAC with this instance's key, then fold today's journal
    once and compare its digest and count at each checkpoint's position. Stops at the
    first checkpoint that fails (the earliest position, so the rewrite is before it)."""
    ordered = sorted(items, key=lambda item: (item["last_entry_id"], item["id"]))
    key = checkpoint_key()
    for item in ordered:
        expected = mac(
            key,
            canonical(
                last_entry_id=item["last_entry_id"],
                entry_count=item["entry_count"],
                head_hash=item["head_hash"],
                created_at=item["created_at"],
            ),
        )
        if not hmac.compare_digest(expected.encode(), item["mac"].encode()):
            reason = (
                _("its MAC is not valid with this instance's key (the checkpoint was altered)")
                if item["key_id"] == key_id(key)
                else _("it was made with another key (key id %(key_id)s)")
                % {"key_id": item["key_id"]}
            )
            return _failed(item, reason, checked=0)
    digest, count, checked = GENESIS_HASH, 0, 0
    entries = _entries(0)
    pending: tuple[int, str] | None = next(entries, None)
    for item in ordered:
        while pending is not None and pending[0] <= item["last_entry_id"]:
            digest = fold(digest, *pending)
            count += 1
            pending = next(entries, None)
        if count != item["entry_count"]:
            return _failed(
                item,
                _("the journal now has %(count)s entries up to entry %(entry)s, not %(want)s")
                % {"count": count, "entry": item["last_entry_id"], "want": item["entry_count"]},
                checked=checked,
            )
        if digest != item["head_hash"]:
            return _failed(
                item,
                _("the journal up to entry %(entry)s no longer has the digest it had then")
                % {"entry": item["last_entry_id"]},
                checked=checked,
            )
        checked += 1
    return CheckpointReport(checked=checked)


def _failed(item: dict[str, Any], reason: str, *, checked: int) -> CheckpointReport:
    return CheckpointReport(
        checked=checked,
        problem=_("checkpoint %(id)s of %(time)s: %(reason)s")
        % {"id": item["id"], "time": item["created_at"], "reason": reason},
        checkpoint_id=item["id"],
    )
