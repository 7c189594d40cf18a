"""Every write of the clearing app: one function per use case, one transaction each.

The flow: members record obligations (or a steward imports a CSV), both sides confirm,
a steward starts a run (computed by a background task), looks at the result and accepts
or rejects it. Acceptance re-checks that no obligation changed since the snapshot and
applies every set-off in one transaction; a run is accepted at most once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.accounts.models import User
from solidaria.clearing import settlement
from solidaria.clearing.models import ClearingRun, Obligation, RunItem, SetOff
from solidaria.core import audit, idempotency
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.money import AmountError, parse_minor
from solidaria.core.permissions import require
from solidaria.ledger.models import Currency

MAX_IMPORT_LINES = 1_000_000


def _check_amount(amount_minor: Any, *, field: str = "amount") -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ValidationFailed(_("the amount must be a whole number of minor units"), field=field)
    if amount_minor <= 0:
        raise ValidationFailed(_("the amount must be more than zero"), field=field)
    if amount_minor >= 10**15:
        raise ValidationFailed(_("the amount is too large"), field=field)
    return amount_minor


def _check_parties(debtor: User, creditor: User) -> None:
    if debtor.pk == creditor.pk:
        raise ValidationFailed(_("a member cannot owe themselves"), field="creditor")
    for field, user in (("debtor", debtor), ("creditor", creditor)):
        if not user.is_active:
            raise ValidationFailed(
                _("%(name)s is not an active member") % {"name": user}, field=field
            )


def obligation_create(
    *,
    actor: Any,
    currency: Currency,
    debtor: User,
    creditor: User,
    amount_minor: int,
    reference: str = "",
    due_date: date | None = None,
    key: str,
) -> Obligation:
    """Record an invoice between two members. The side that records it confirms it;
    a steward's record still needs both sides. Idempotent by `key`."""
    _check_amount(amount_minor)
    _check_parties(debtor, creditor)
    require(actor, "clearing.obligation.record", Obligation(debtor=debtor, creditor=creditor))
    request = {
        "currency": currency.pk,
        "debtor": debtor.pk,
        "creditor": creditor.pk,
        "amount": amount_minor,
        "reference": reference,
        "due": str(due_date or ""),
    }
    if not key or not key.strip():
        raise ValidationFailed(_("an idempotency key is required"), field="idempotency_key")

    def work() -> Obligation:
        now = timezone.now()
        obligation = Obligation.objects.create(
            currency=currency,
            debtor=debtor,
            creditor=creditor,
            amount_minor=amount_minor,
            remaining_minor=amount_minor,
            reference=reference,
            due_date=due_date,
            debtor_confirmed_at=now if actor.pk == debtor.pk else None,
            creditor_confirmed_at=now if actor.pk == creditor.pk else None,
            created_by=actor,
        )
        audit.record(actor=actor, verb="clearing.obligation.create", obj=obligation, data=request)
        return obligation

    return idempotency.once(
        scope=f"clearing.obligation:{actor.pk}",
        key=key,
        request=request,
        actor=actor,
        model=Obligation,
        work=work,
    )


def _locked_obligation(obligation: Obligation | int) -> Obligation:
    pk = obligation.pk if isinstance(obligation, Obligation) else obligation
    found = Obligation.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such obligation"))
    return found


@transaction.atomic
def obligation_confirm(*, actor: Any, obligation: Obligation | int) -> Obligation:
    """A party confirms the obligation; once both have, it takes part in clearing."""
    ob = _locked_obligation(obligation)
    require(actor, "clearing.obligation.confirm", ob)
    if ob.status not in (Obligation.Status.PENDING, Obligation.Status.DISPUTED):
        return ob
    now = timezone.now()
    if actor.pk == ob.debtor_id and ob.debtor_confirmed_at is None:
        ob.debtor_confirmed_at = now
    if actor.pk == ob.creditor_id and ob.creditor_confirmed_at is None:
        ob.creditor_confirmed_at = now
    if ob.is_confirmed_by_both:
        ob.status = Obligation.Status.CONFIRMED
    ob.version += 1
    ob.save()
    audit.record(actor=actor, verb="clearing.obligation.confirm", obj=ob)
    return ob


@transaction.atomic
def obligation_dispute(*, actor: Any, obligation: Obligation | int, reason: str) -> Obligation:
    """A party disputes an obligation: it leaves clearing until both confirm again."""
    ob = _locked_obligation(obligation)
    require(actor, "clearing.obligation.dispute", ob)
    if not reason.strip():
        raise ValidationFailed(_("say why you dispute it"), field="reason")
    if ob.status in (Obligation.Status.SETTLED, Obligation.Status.CANCELLED):
        raise Conflict(_("a settled or cancelled obligation cannot be disputed"))
    ob.status = Obligation.Status.DISPUTED
    ob.debtor_confirmed_at = None
    ob.creditor_confirmed_at = None
    ob.version += 1
    ob.save()
    audit.record(actor=actor, verb="clearing.obligation.dispute", obj=ob, reason=reason)
    return ob


@dataclass(frozen=True)
class ImportReport:
    created: int
    total_minor: int


def obligations_import(
    *, actor: Any, currency: Currency, text: str, confirm_both: bool = False
) -> ImportReport:
    """Import `debtor,creditor,amount[,reference]` rows (usernames, decimal amounts).

    All rows or none: the first bad row raises ValidationFailed naming its line and field.
    Imported obligations await both sides' confirmation unless a steward imports them
    with `confirm_both` (for invoices both sides already signed elsewhere).
    """
    require(actor, "clearing.run.manage")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:3]] != [
        "debtor",
        "creditor",
        "amount",
    ]:
        raise ValidationFailed(
            _("line 1: the header must be debtor,creditor,amount[,reference]"), field="file"
        )
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    rows: list[tuple[User, User, int, str]] = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) not in (3, 4):
            raise ValidationFailed(
                _("line %(line)s: expected 3 or 4 columns, found %(n)s")
                % {"line": line_no, "n": len(row)},
                field="file",
            )
        names = [row[0].strip(), row[1].strip()]
        parties = []
        for field, name in zip(("debtor", "creditor"), names, strict=True):
            if name not in users:
                raise ValidationFailed(
                    _("line %(line)s, %(field)s: unknown member '%(name)s'")
                    % {"line": line_no, "field": field, "name": name},
                    field="file",
                )
            parties.append(users[name])
        if parties[0].pk == parties[1].pk:
            raise ValidationFailed(
                _("line %(line)s: a member cannot owe themselves") % {"line": line_no},
                field="file",
            )
        try:
            amount = parse_minor(row[2], exponent=currency.exponent)
        except AmountError as exc:
            raise ValidationFailed(
                _("line %(line)s, amount: %(error)s") % {"line": line_no, "error": exc},
                field="file",
            ) from None
        if amount <= 0:
            raise ValidationFailed(
                _("line %(line)s, amount: must be more than zero") % {"line": line_no},
                field="file",
            )
        rows.append((parties[0], parties[1], amount, row[3].strip() if len(row) == 4 else ""))
        if len(rows) > MAX_IMPORT_LINES:
            raise ValidationFailed(_("too many lines in one file"), field="file")
    now = timezone.now()
    with transaction.atomic():
        Obligation.objects.bulk_create(
            [
                Obligation(
                    currency=currency,
                    debtor=d,
                    creditor=c,
                    amount_minor=a,
                    remaining_minor=a,
                    reference=ref,
                    created_by=actor,
                    status=Obligation.Status.CONFIRMED
                    if confirm_both
                    else Obligation.Status.PENDING,
                    debtor_confirmed_at=now if confirm_both else None,
                    creditor_confirmed_at=now if confirm_both else None,
                )
                for d, c, a, ref in rows
            ],
            batch_size=2000,
        )
        report = ImportReport(created=len(rows), total_minor=sum(r[2] for r in rows))
        audit.record(
            actor=actor,
            verb="clearing.obligation.import",
            obj=currency,
            data={"created": report.created, "total_minor": report.total_minor},
        )
    return report


# --- clearing runs --------------------------------------------------------------------


def _eligible(currency: Currency) -> Iterable[Obligation]:
    return (
        Obligation.objects.filter(
            currency=currency, status=Obligation.Status.CONFIRMED, remaining_minor__gt=0
        )
        .order_by("pk")
        .only("pk", "debtor_id", "creditor_id", "remaining_minor", "version")
    )


def snapshot_hash(rows: Iterable[tuple[int, int, int]]) -> str:
    """Hash of (obligation id, version, remaining) for every obligation a run saw."""
    digest = hashlib.sha256()
    for pk, version, remaining in rows:
        digest.update(f"{pk}:{version}:{remaining};".encode())
    return digest.hexdigest()


def run_start(*, actor: Any, currency: Currency) -> ClearingRun:
    """A steward starts a run; the computation is a background task."""
    from solidaria.clearing.tasks import compute_run

    require(actor, "clearing.run.manage")
    with transaction.atomic():
        if ClearingRun.objects.filter(
            currency=currency,
            status__in=[ClearingRun.Status.QUEUED, ClearingRun.Status.RUNNING],
        ).exists():
            raise Conflict(_("a clearing run for this currency is already in progress"))
        run = ClearingRun.objects.create(currency=currency, started_by=actor)
        audit.record(actor=actor, verb="clearing.run.start", obj=run)
    compute_run.enqueue(run.pk)
    run.refresh_from_db()
    return run


def _progress(run: ClearingRun, percent: int, note: str) -> None:
    ClearingRun.objects.filter(pk=run.pk).update(progress=percent, progress_note=note)


def run_compute(run_id: int) -> ClearingRun:
    """The task body: snapshot the confirmed obligations, solve, store the proposal."""
    run = ClearingRun.objects.get(pk=run_id)
    if run.status not in (ClearingRun.Status.QUEUED, ClearingRun.Status.FAILED):
        return run
    ClearingRun.objects.filter(pk=run.pk).update(status=ClearingRun.Status.RUNNING)
    try:
        _progress(run, 5, "reading obligations")
        obligations = list(_eligible(run.currency))
        _progress(run, 25, f"solving {len(obligations)} obligations")
        solved = settlement.solve(
            [(o.debtor_id, o.creditor_id, o.remaining_minor) for o in obligations],
            format_amount=run.currency.format,
        )
        _progress(run, 75, "storing the proposal")
        with transaction.atomic():
            RunItem.objects.bulk_create(
                [
                    RunItem(
                        run=run,
                        obligation_id=o.pk,
                        version_seen=o.version,
                        remaining_before=o.remaining_minor,
                        setoff_minor=s,
                    )
                    for o, s in zip(obligations, solved.setoffs, strict=True)
                ],
                batch_size=5000,
            )
            ClearingRun.objects.filter(pk=run.pk).update(
                status=ClearingRun.Status.COMPUTED,
                progress=100,
                progress_note="",
                obligation_count=len(obligations),
                snapshot_hash=snapshot_hash(
                    (o.pk, o.version, o.remaining_minor) for o in obligations
                ),
                engine_version=solved.engine_version,
                summary=solved.summary,
                cycles=solved.cycles,
                computed_at=timezone.now(),
            )
    except Exception as exc:  # the run records why it failed; the steward can retry
        ClearingRun.objects.filter(pk=run.pk).update(
            status=ClearingRun.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    run.refresh_from_db()
    return run


def _locked_run(run: ClearingRun | int) -> ClearingRun:
    pk = run.pk if isinstance(run, ClearingRun) else run
    found = ClearingRun.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such clearing run"))
    return found


@transaction.atomic
def run_accept(*, actor: Any, run: ClearingRun | int, reason: str = "") -> ClearingRun:
    """Apply every set-off of a computed run, all in one transaction.

    Refused when any obligation in the snapshot changed since (confirmed, disputed,
    settled by another run...). Accepting an accepted run again changes nothing.
    """
    require(actor, "clearing.run.manage")
    locked = _locked_run(run)
    if locked.status == ClearingRun.Status.ACCEPTED:
        return locked
    if locked.status != ClearingRun.Status.COMPUTED:
        raise Conflict(
            _("only a computed run can be accepted; this one is %(status)s")
            % {"status": locked.get_status_display()}
        )
    items = list(locked.items.order_by("obligation_id"))
    obligations = {
        o.pk: o
        for o in Obligation.objects.select_for_update()
        .filter(pk__in=[i.obligation_id for i in items])
        .order_by("pk")
    }
    changed = [
        i.obligation_id
        for i in items
        if obligations[i.obligation_id].version != i.version_seen
        or obligations[i.obligation_id].remaining_minor != i.remaining_before
        or obligations[i.obligation_id].status != Obligation.Status.CONFIRMED
    ]
    if changed:
        raise Conflict(
            _(
                "%(n)s obligation(s) changed since this run's snapshot (first: #%(first)s); "
                "start a new run"
            )
            % {"n": len(changed), "first": changed[0]}
        )
    now = timezone.now()
    setoffs = []
    for item in items:
        if item.setoff_minor == 0:
            continue
        ob = obligations[item.obligation_id]
        ob.remaining_minor -= item.setoff_minor
        ob.version += 1
        if ob.remaining_minor == 0:
            ob.status = Obligation.Status.SETTLED
        setoffs.append(
            SetOff(run=locked, obligation=ob, amount_minor=item.setoff_minor, applied_at=now)
        )
    Obligation.objects.bulk_update(
        [obligations[s.obligation.pk] for s in setoffs],
        ["remaining_minor", "version", "status"],
        batch_size=5000,
    )
    SetOff.objects.bulk_create(setoffs, batch_size=5000)
    locked.status = ClearingRun.Status.ACCEPTED
    locked.decided_by = actor
    locked.decided_at = now
    locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(
        actor=actor,
        verb="clearing.run.accept",
        obj=locked,
        reason=reason,
        data={"setoffs": len(setoffs), "total": sum(s.amount_minor for s in setoffs)},
    )
    return locked


@transaction.atomic
def run_reject(*, actor: Any, run: ClearingRun | int, reason: str) -> ClearingRun:
    require(actor, "clearing.run.manage")
    locked = _locked_run(run)
    if locked.status == ClearingRun.Status.REJECTED:
        return locked
    if locked.status != ClearingRun.Status.COMPUTED:
        raise Conflict(_("only a computed run can be rejected"))
    locked.status = ClearingRun.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(actor=actor, verb="clearing.run.reject", obj=locked, reason=reason)
    return locked
