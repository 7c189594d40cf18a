"""`solidaria ledger verify`, `solidaria ledger checkpoint` and `solidaria ledger import`.

verify: recompute every account's hash chain, every balance from its entries, every
transfer's entries and each currency's zero sum. Exit 0 when all match; exit 1 naming
the first entry (or account) that does not. `--checkpoints FILE` (the JSON of
/ledger/checkpoints.json) also checks each checkpoint's MAC and that the journal still has
the digest it had at each checkpoint (see `checkpoints.py`): exit 1 naming the first
checkpoint that fails, exit 2 when the file cannot be read.

checkpoint: checkpoint the journal now (run it on a schedule; see `tasks.py`).

import: bulk transfers from a CSV file with a header row
`payer,payee,amount[,currency][,memo][,category]`. payer/payee are a member's user name
(their account in that currency), `#<account id>`, or `network` (the currency's system
account). Amounts are decimals in the currency's units. The whole file is one
transaction: every line is posted or none is (exit 2 with line and field). Importing the
same file again moves nothing (its SHA-256 is the idempotency key).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from solidaria.accounts.models import User
from solidaria.core.errors import DomainError
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import batches, checkpoints, services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Currency

_LINE = re.compile(r"^line (\d+): (.*)$", re.S)


class Command(BaseCommand):
    help = "Verify the ledger journal, or import bulk transfers from CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="recompute hash chains and balances")
        v.add_argument("--currency", help="only this currency code")
        v.add_argument("--json", action="store_true", help="print a JSON report")
        v.add_argument(
            "--checkpoints",
            type=Path,
            metavar="FILE",
            help="also check the checkpoints in FILE (downloaded from /ledger/checkpoints.json)",
        )
        sub.add_parser("checkpoint", help="checkpoint the journal with the checkpoint key")
        i = sub.add_parser("import", help="bulk transfers from a CSV file, all or nothing")
        i.add_argument("file", type=Path)
        i.add_argument("--currency", help="currency code when the file has no currency column")
        i.add_argument("--memo", default="", help="memo for lines without one")
        i.add_argument("--key", help="idempotency key (default: the file's SHA-256)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options)
        elif options["action"] == "checkpoint":
            made = checkpoints.take_checkpoint()
            self.stdout.write(
                f"checkpoint {made.pk}: {made.entry_count} entries up to entry "
                f"{made.last_entry_id}, digest {made.head_hash}"
            )
        else:
            self._import(options)

    def _verify(self, options: dict[str, Any]) -> None:
        currency = None
        if options.get("currency"):
            currency = Currency.objects.filter(code=options["currency"].upper()).first()
            if currency is None:
                raise CommandError(f"there is no currency {options['currency']}", returncode=2)
        published = (
            self._checkpoints_file(options["checkpoints"]) if options.get("checkpoints") else None
        )
        report = verify(currency=currency)
        first = report.first
        pinned = checkpoints.verify_checkpoints(published) if published is not None else None
        if options.get("json"):
            out: dict[str, Any] = {
                "ok": report.ok,
                "entries": report.entries,
                "accounts": report.accounts,
                "transfers": report.transfers,
                "problems": len(report.problems),
                "first_problem": first.message if first else None,
                "first_entry": first.entry_id if first else None,
            }
            if pinned is not None:  # only with --checkpoints: the output above is unchanged
                out["ok"] = report.ok and pinned.ok
                out["checkpoints"] = pinned.checked
                out["checkpoint_problem"] = pinned.problem
                out["first_checkpoint"] = pinned.checkpoint_id
            self.stdout.write(json.dumps(out))
        if not report.ok:
            assert first is not None
            raise CommandError(
                f"ledger verification FAILED: {first.message} "
                f"({len(report.problems)} problem(s) in total)",
                returncode=1,
            )
        if pinned is not None and not pinned.ok:
            raise CommandError(f"ledger checkpoints FAILED: {pinned.problem}", returncode=1)
        if not options.get("json"):
            line = (
                f"ok: {report.entries} entries, {report.accounts} accounts, "
                f"{report.transfers} transfers, {report.currencies} currencies verified"
            )
            if pinned is not None:
                line += f"; {pinned.checked} checkpoints match"
            self.stdout.write(line)

    def _checkpoints_file(self, path: Path) -> list[dict[str, Any]]:
        try:
            return checkpoints.parse(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CommandError(
                f"{path}: cannot read the checkpoints ({exc})", returncode=2
            ) from None

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file ({exc})", returncode=2) from None
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip() for f in reader.fieldnames or []]
        for needed in ("payer", "payee", "amount"):
            if needed not in fields:
                raise CommandError(f"{path}: line 1, field {needed}: column missing", returncode=2)
        if "currency" not in fields and not options.get("currency"):
            raise CommandError(
                f"{path}: line 1, field currency: no currency column and no --currency",
                returncode=2,
            )
        lines = []
        for number, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            lines.append(self._line(path, number, row, options))
        if not lines:
            raise CommandError(f"{path}: no lines to import", returncode=2)
        key = options.get("key") or "import:" + hashlib.sha256(raw).hexdigest()
        try:
            batch = batches.import_transfers(
                actor=SYSTEM, lines=lines, memo=options["memo"], key=key
            )
        except DomainError as exc:
            raise CommandError(f"{path}: {_where(exc)}", returncode=2) from None
        verb = "already imported" if batch.replayed else "imported"
        self.stdout.write(f"{verb}: batch {batch.pk}, {batch.line_count} transfers")

    def _line(
        self, path: Path, number: int, row: dict[str, str], options: dict[str, Any]
    ) -> batches.BatchLine:
        def fail(field: str, message: str) -> CommandError:
            return CommandError(f"{path}: line {number}, field {field}: {message}", returncode=2)

        code = row.get("currency") or options.get("currency") or ""
        currency = Currency.objects.filter(code=code.upper()).first()
        if currency is None:
            raise fail("currency", f"there is no currency '{code}'")
        accounts = {}
        for field in ("payer", "payee"):
            accounts[field] = _resolve(row.get(field, ""), currency)
            if isinstance(accounts[field], str):
                raise fail(field, accounts[field])
        try:
            amount = services.parse_amount(currency, row.get("amount", ""))
        except DomainError as exc:
            raise fail("amount", exc.message) from None
        return batches.BatchLine(
            payer=accounts["payer"].pk,  # type: ignore[union-attr]
            payee=accounts["payee"].pk,  # type: ignore[union-attr]
            amount=amount,
            memo=row.get("memo", "")[:200],
            category=row.get("category", "")[:64],
            line=number,
        )


def _resolve(ref: str, currency: Currency) -> Account | str:
    """An account, or the reason it cannot be found."""
    if not ref:
        return "empty"
    if ref == services.NETWORK_ACCOUNT:
        return services.network_account(currency)
    if ref.startswith("#"):
        account = Account.objects.filter(pk=int(ref[1:]) if ref[1:].isdigit() else -1).first()
        if account is None:
            return f"there is no account {ref}"
        return account
    user = User.objects.filter(username=ref).first()
    if user is None:
        return f"there is no member '{ref}'"
    account = Account.objects.filter(currency=currency, owner=user, kind="member").first()
    if account is None:
        return f"{ref} has no {currency.code} account"
    return account


def _where(exc: DomainError) -> str:
    match = _LINE.match(exc.message)
    if match:
        return f"line {match.group(1)}, field {exc.field or '-'}: {match.group(2)}"
    return f"field {exc.field or '-'}: {exc.message}"
