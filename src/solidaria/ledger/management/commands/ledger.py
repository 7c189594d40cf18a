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
from solidaria.core.textfiles import FIELD_LIMIT, TextFileError, decode, long_cell, too_long
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
            text = decode(raw)
        except OSError as exc:
            raise CommandError(
                f"{path}: cannot read the file ({exc.strerror})", returncode=2
            ) from None
        except TextFileError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from None
        rows = _rows(path, text, has_currency=bool(options.get("currency")))
        lookups: dict[tuple[str, str], Any] = {}
        lines = [self._line(path, number, row, options, lookups) for number, row in rows]
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
        self,
        path: Path,
        number: int,
        row: dict[str, str],
        options: dict[str, Any],
        lookups: dict[tuple[str, str], Any],
    ) -> batches.BatchLine:
        def fail(field: str, message: str) -> CommandError:
            return CommandError(f"{path}: line {number}, field {field}: {message}", returncode=2)

        code = (row.get("currency") or options.get("currency") or "").upper()
        if ("currency", code) not in lookups:
            found = Currency.objects.filter(code=code).first() if len(code) <= 16 else None
            lookups["currency", code] = found
        currency = lookups["currency", code]
        if currency is None:
            raise fail("currency", f"there is no currency '{_short(code)}'")
        accounts = {}
        for field in ("payer", "payee"):
            ref = row.get(field, "")
            if (code, ref) not in lookups:
                lookups[code, ref] = _resolve(ref, currency)
            accounts[field] = lookups[code, ref]
            if isinstance(accounts[field], str):
                raise fail(field, accounts[field])
        amount_text = row.get("amount", "")
        if len(amount_text) > MAX_AMOUNT_LENGTH:
            raise fail("amount", f"'{_short(amount_text)}' is too long for an amount")
        try:
            amount = services.parse_amount(currency, amount_text)
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


MAX_AMOUNT_LENGTH = 40
MAX_REF_LENGTH = 150  # a user name's longest


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


def _rows(path: Path, text: str, *, has_currency: bool) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of every transfer in the file, read without touching the database; the
    line cap (`batches.MAX_BATCH_LINES`) is checked here, before any query, and reading
    stops there."""

    def fail(line: int, field: str, message: str) -> CommandError:
        return CommandError(f"{path}: line {line}, field {field}: {message}", returncode=2)

    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] = []
    try:
        header = [cell.strip() for cell in next(reader, [])]
        for needed in ("payer", "payee", "amount"):
            if needed not in header:
                raise fail(1, needed, "column missing")
        if "currency" not in header and not has_currency:
            raise fail(1, "currency", "no currency column and no --currency")
        start = reader.line_num + 1
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                start = reader.line_num + 1
                continue
            if len(rows) == batches.MAX_BATCH_LINES:
                raise fail(
                    start, "lines", f"more than {batches.MAX_BATCH_LINES:,} lines in one import"
                )
            row = {
                name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
            }
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        line = reader.line_num
        if too_long(exc):
            field = long_cell(text, line, header) or "-"
            raise fail(line, field, f"longer than {FIELD_LIMIT:,} characters") from None
        raise fail(line, "-", f"malformed CSV: {exc}") from None
    if not rows:
        raise fail(1, "lines", "no lines to import (the file has only a header)")
    return rows


def _resolve(ref: str, currency: Currency) -> Account | str:
    """An account, or the reason it cannot be found."""
    if not ref:
        return "empty"
    if len(ref) > MAX_REF_LENGTH:
        return f"there is no account or member '{_short(ref)}'"
    if ref == services.NETWORK_ACCOUNT:
        return services.network_account(currency)
    if ref.startswith("#"):
        digits = ref[1:]
        pk = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 18 else -1
        account = Account.objects.filter(pk=pk).first()
        if account is None:
            return f"there is no account {_short(ref)}"
        return account
    user = User.objects.filter(username=ref).first()
    if user is None:
        return f"there is no member '{_short(ref)}'"
    account = Account.objects.filter(currency=currency, owner=user, kind="member").first()
    if account is None:
        return f"{ref} has no {currency.code} account"
    return account


def _where(exc: DomainError) -> str:
    match = _LINE.match(exc.message)
    if match:
        return f"line {match.group(1)}, field {exc.field or '-'}: {match.group(2)}"
    return f"field {exc.field or '-'}: {exc.message}"
