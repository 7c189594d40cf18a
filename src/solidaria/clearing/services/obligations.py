"""Obligations: recorded by a member (or imported by a steward), confirmed by both sides,
disputed, and a dispute resolved: a corrected amount both sides confirm, or the
creditor withdrawing the claim. One function per use case, one transaction each."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.accounts.models import User
from solidaria.clearing.models import Obligation
from solidaria.core import audit, idempotency
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.money import AmountError, parse_minor
from solidaria.core.permissions import require
from solidaria.core.textfiles import as_validation_failed, csv_rows
from solidaria.ledger.models import Currency
from solidaria.notifications import events

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
        events.obligation_recorded(actor=actor, obligation=obligation)
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
        ob.proposed_amount_minor, ob.proposed_by = None, None
    ob.version += 1
    ob.save()
    audit.record(actor=actor, verb="clearing.obligation.confirm", obj=ob)
    events.obligation_answered(actor=actor, obligation=ob, kind="clearing.obligation.confirmed")
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
    events.obligation_answered(
        actor=actor, obligation=ob, kind="clearing.obligation.disputed", reason=reason
    )
    return ob


@dataclass(frozen=True)
class ImportReport:
    created: int
    total_minor: int


REFERENCE_LENGTH = Obligation._meta.get_field("reference").max_length or 0


def obligations_import(
    *, actor: Any, currency: Currency, text: str, confirm_both: bool = False
) -> ImportReport:
    """Import `debtor,creditor,amount[,reference]` rows (usernames, decimal amounts).

    All rows or none: the first bad row raises ValidationFailed naming its line and field.
    Imported obligations await both sides' confirmation unless a steward imports them
    with `confirm_both` (for invoices both sides already signed elsewhere).
    """
    require(actor, "clearing.run.manage")
    columns = ("debtor", "creditor", "amount", "reference")
    reader = csv_rows(csv.reader(io.StringIO(text)), text, columns, as_error=as_validation_failed)
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
                    % {"line": line_no, "field": field, "name": name[:40]},
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
        reference = row[3].strip() if len(row) == 4 else ""
        if len(reference) > REFERENCE_LENGTH:
            raise ValidationFailed(
                _("line %(line)s, reference: longer than %(n)s characters")
                % {"line": line_no, "n": REFERENCE_LENGTH},
                field="file",
            )
        rows.append((parties[0], parties[1], amount, reference))
        if len(rows) > MAX_IMPORT_LINES:
            raise ValidationFailed(_("too many lines in one file"), field="file")
    if not rows:
        raise ValidationFailed(
            _("line 1: no obligations to import: the file has only a header"), field="file"
        )
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


# --- resolving a dispute ----------------------------------------------------------------


def _disputed(ob: Obligation) -> None:
    if ob.status != Obligation.Status.DISPUTED:
        raise Conflict(_("only a disputed obligation can be corrected"))


@transaction.atomic
def obligation_correction_propose(
    *, actor: Any, obligation: Obligation | int, amount_minor: int, reason: str = ""
) -> Obligation:
    """One side of a disputed obligation proposes the corrected amount; it becomes the
    obligation's amount when the other side confirms it. What was already set off or paid
    stays so: the corrected amount cannot be less than that."""
    ob = _locked_obligation(obligation)
    require(actor, "clearing.obligation.correct", ob)
    _check_amount(amount_minor)
    _disputed(ob)
    cleared = ob.amount_minor - ob.remaining_minor
    if amount_minor < cleared:
        raise ValidationFailed(
            _("%(cleared)s of it was already set off or paid: the amount cannot be less")
            % {"cleared": ob.currency.format(cleared)},
            field="amount",
        )
    if amount_minor == ob.amount_minor:
        raise ValidationFailed(
            _("that is the amount it already has: confirm the obligation instead"),
            field="amount",
        )
    ob.proposed_amount_minor = amount_minor
    ob.proposed_by = actor
    ob.version += 1
    ob.save()
    audit.record(
        actor=actor,
        verb="clearing.obligation.amend",
        obj=ob,
        reason=reason,
        data={"amount": ob.amount_minor, "proposed": amount_minor},
    )
    events.obligation_corrected(actor=actor, obligation=ob, proposed=True, reason=reason)
    return ob


@transaction.atomic
def obligation_correction_confirm(*, actor: Any, obligation: Obligation | int) -> Obligation:
    """The other side confirms the proposed amount: it becomes the obligation's amount and
    the obligation, confirmed by both, takes part in clearing again."""
    ob = _locked_obligation(obligation)
    require(actor, "clearing.obligation.correct", ob)
    _disputed(ob)
    if ob.proposed_amount_minor is None:
        raise Conflict(_("no corrected amount was proposed"))
    if ob.proposed_by_id == actor.pk:
        raise Conflict(_("the other side confirms the amount you proposed"))
    before, cleared = ob.amount_minor, ob.amount_minor - ob.remaining_minor
    now = timezone.now()
    ob.amount_minor = ob.proposed_amount_minor
    ob.remaining_minor = ob.amount_minor - cleared
    ob.proposed_amount_minor, ob.proposed_by = None, None
    ob.debtor_confirmed_at = ob.creditor_confirmed_at = now
    ob.status = (
        Obligation.Status.SETTLED if ob.remaining_minor == 0 else Obligation.Status.CONFIRMED
    )
    ob.version += 1
    ob.save()
    audit.record(
        actor=actor,
        verb="clearing.obligation.correct",
        obj=ob,
        data={"amount_before": before, "amount": ob.amount_minor},
    )
    events.obligation_corrected(actor=actor, obligation=ob, proposed=False)
    return ob


@transaction.atomic
def obligation_withdraw(*, actor: Any, obligation: Obligation | int, reason: str) -> Obligation:
    """The creditor drops the claim: the obligation leaves clearing for good. Withdrawing
    a withdrawn obligation again changes nothing."""
    ob = _locked_obligation(obligation)
    require(actor, "clearing.obligation.withdraw", ob)
    if ob.status == Obligation.Status.CANCELLED:
        return ob
    if ob.status == Obligation.Status.SETTLED:
        raise Conflict(_("a settled obligation cannot be withdrawn"))
    if not reason.strip():
        raise ValidationFailed(_("say why you withdraw it"), field="reason")
    ob.status = Obligation.Status.CANCELLED
    ob.proposed_amount_minor, ob.proposed_by = None, None
    ob.version += 1
    ob.save()
    audit.record(
        actor=actor,
        verb="clearing.obligation.withdraw",
        obj=ob,
        reason=reason,
        data={"remaining": ob.remaining_minor},
    )
    events.obligation_withdrawn(actor=actor, obligation=ob, reason=reason)
    return ob
