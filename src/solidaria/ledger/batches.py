"""Bulk payments (one payer to many payees, many payers to one payee) and CSV imports:
every line or none, in one transaction, judged in order so an error names its line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.ledger.journal import Leg, post
from solidaria.ledger.locks import lock_accounts, network_account
from solidaria.ledger.models import Account, Transfer, TransferBatch
from solidaria.ledger.rules import (
    check_amount,
    check_pair,
    levy_for,
    load_account,
    needs_authorisation,
    require_debit,
    require_steward,
    run_once,
)

MAX_BATCH_LINES = 20_000


@dataclass(frozen=True)
class BatchLine:
    """One line of a bulk payment or import; `line` is what errors name."""

    payer: int
    payee: int
    amount: int
    memo: str = ""
    category: str = ""
    line: int | None = None


def bulk_transfer(
    *,
    actor: Any,
    kind: str,
    counterparty: Account | int,
    lines: Sequence[tuple[int, int, str, str]],
    memo: str = "",
    key: str | None,
) -> TransferBatch:
    """One payer to many payees (`one_to_many`: lines are payee, amount, memo, category) or
    many payers to one payee (`many_to_one`, stewards only: lines name the payers).
    All lines or none."""
    party = load_account(counterparty, field="counterparty")
    if kind == TransferBatch.Kind.ONE_TO_MANY:
        require_debit(actor, party)
        batch_lines = [
            BatchLine(party.pk, acc, amt, m, c, i) for i, (acc, amt, m, c) in enumerate(lines, 1)
        ]
    elif kind == TransferBatch.Kind.MANY_TO_ONE:
        require_steward(actor)
        batch_lines = [
            BatchLine(acc, party.pk, amt, m, c, i) for i, (acc, amt, m, c) in enumerate(lines, 1)
        ]
    else:
        raise ValidationFailed(_("unknown kind of bulk payment"), field="kind")
    return _post_batch(
        actor=actor,
        kind=kind,
        lines=batch_lines,
        memo=memo,
        key=key,
        transfer_kind=Transfer.Kind.BULK,
        scope="ledger.bulk",
    )


def import_transfers(
    *, actor: Any, lines: Sequence[BatchLine], memo: str = "", key: str | None
) -> TransferBatch:
    """Bulk transfers from a file, between any accounts, in one transaction (CLI)."""
    require_steward(actor)
    return _post_batch(
        actor=actor,
        kind=TransferBatch.Kind.IMPORT,
        lines=lines,
        memo=memo,
        key=key,
        transfer_kind=Transfer.Kind.IMPORT,
        scope="ledger.import",
    )


def _post_batch(
    *,
    actor: Any,
    kind: str,
    lines: Sequence[BatchLine],
    memo: str,
    key: str | None,
    transfer_kind: str,
    scope: str,
) -> TransferBatch:
    if not lines:
        raise ValidationFailed(_("a bulk payment needs at least one line"), field="lines")
    if len(lines) > MAX_BATCH_LINES:
        raise ValidationFailed(
            _("at most %(n)s lines in one bulk payment") % {"n": MAX_BATCH_LINES}, field="lines"
        )
    for ln in lines:
        try:
            check_amount(ln.amount)
        except ValidationFailed as exc:
            raise ValidationFailed(
                _("line %(line)s: %(reason)s") % {"line": ln.line, "reason": exc.message},
                field="amount",
            ) from None
    request = {
        "kind": kind,
        "memo": memo,
        "lines": [[ln.payer, ln.payee, ln.amount, ln.memo, ln.category] for ln in lines],
    }

    def work() -> TransferBatch:
        pks = {ln.payer for ln in lines} | {ln.payee for ln in lines}
        known = {
            acc.pk: acc for acc in Account.objects.select_related("currency").filter(pk__in=pks)
        }
        for ln in lines:
            for pk, fld in ((ln.payer, "payer"), (ln.payee, "payee")):
                if pk not in known:
                    raise NotFound(
                        _("line %(line)s: there is no account %(ref)s")
                        % {"line": ln.line, "ref": pk},
                        field=fld,
                    )
            payer = known[ln.payer]
            check_pair(payer, known[ln.payee], line=ln.line)
            if needs_authorisation(actor, payer.currency, ln.amount, transfer_kind):
                raise ValidationFailed(
                    _(
                        "line %(line)s: the amount is above the authorisation threshold; pay it "
                        "on its own so a steward can approve it"
                    )
                    % {"line": ln.line},
                    field="amount",
                )
        levies = {
            i: levy_for(known[ln.payer].currency, known[ln.payer], transfer_kind, ln.amount)
            for i, ln in enumerate(lines)
        }
        networks: dict[int, int] = {}
        for i, ln in enumerate(lines):
            if levies[i]:
                cur = known[ln.payer].currency
                if cur.pk not in networks:
                    networks[cur.pk] = network_account(cur).pk
        locked = lock_accounts([*pks, *networks.values()])
        batch = TransferBatch.objects.create(
            kind=kind,
            memo=memo[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
            line_count=len(lines),
            total_minor=sum(ln.amount for ln in lines),
        )
        legs = [
            Leg(
                payer=locked[ln.payer],
                payee=locked[ln.payee],
                amount=ln.amount,
                memo=(ln.memo or memo)[:200],
                category=ln.category[:64],
                kind=transfer_kind,
                line=ln.line,
                levy=levies[i],
            )
            for i, ln in enumerate(lines)
        ]
        post(
            legs=legs,
            accounts=locked,
            actor=actor,
            now=timezone.now(),
            batch=batch,
            levy_account={cur: locked[pk] for cur, pk in networks.items()} or None,
        )
        audit.record(
            actor=actor,
            verb=f"ledger.batch.{kind}",
            obj=batch,
            data={"lines": len(lines), "total": batch.total_minor},
        )
        return batch

    return run_once(
        scope=scope, actor=actor, key=key, request=request, model=TransferBatch, work=work
    )
