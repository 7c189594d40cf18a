"""Settling what clearing left: the debtor pays the creditor on the mutual-credit ledger.

A steward (for every open obligation of an applied run) or the debtor chooses the ledger
currency; the debtor then pays part or all of the rest through the ledger's own payment
service (`ledger.services.transfer_create`: the debtor's credit line, levies and limits
apply as to any payment). The payment and the `Settlement` that records it are one
transaction, idempotent by the client's key; the obligation's row lock, taken first,
serialises concurrent settlements of it.

Currencies: the rest is paid at par, one minor unit for one minor unit, so only a ledger
currency of the same kind and with the same decimal places as the obligation's can be
chosen (the obligation's own currency always can).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.accounts.models import User
from solidaria.clearing.models import ClearingRun, Obligation, RunItem, Settlement
from solidaria.clearing.services.obligations import _check_amount, _locked_obligation
from solidaria.core import audit, idempotency
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import require
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, Currency, Transfer
from solidaria.notifications import events


def check_currency(obligation: Obligation, currency: Currency) -> None:
    """The rest of `obligation` can be paid in `currency` (at par)."""
    own = obligation.currency
    if not currency.is_active:
        raise ValidationFailed(_("%(code)s is closed") % {"code": currency.code}, field="currency")
    if currency.pk != own.pk and (
        currency.unit_kind != own.unit_kind or currency.exponent != own.exponent
    ):
        raise ValidationFailed(
            _("%(code)s does not count in the same units as %(own)s, so it cannot pay it")
            % {"code": currency.code, "own": own.code},
            field="currency",
        )


def _open(ob: Obligation) -> None:
    if ob.status != Obligation.Status.CONFIRMED or ob.remaining_minor == 0:
        raise Conflict(
            _(
                "only a confirmed obligation with something left to pay can be settled; "
                "this one is %(status)s"
            )
            % {"status": ob.get_status_display()}
        )


@transaction.atomic
def obligation_settlement_currency_set(
    *, actor: Any, obligation: Obligation | int, currency: Currency
) -> Obligation:
    """A steward or the debtor chooses the currency the obligation's rest is paid in."""
    ob = _locked_obligation(obligation)
    require(actor, "clearing.obligation.settle_in", ob)
    _open(ob)
    check_currency(ob, currency)
    if ob.settlement_currency_id != currency.pk:
        ob.settlement_currency = currency
        ob.save(update_fields=["settlement_currency"])
        audit.record(
            actor=actor,
            verb="clearing.obligation.settle_in",
            obj=ob,
            data={"currency": currency.code},
        )
    return ob


@transaction.atomic
def run_settlement_currency_set(*, actor: Any, run: ClearingRun | int, currency: Currency) -> int:
    """A steward chooses the currency for the rest of every obligation an applied run
    left open. Returns how many obligations it now applies to."""
    require(actor, "clearing.run.manage")
    pk = run.pk if isinstance(run, ClearingRun) else run
    found = ClearingRun.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such clearing run"))
    if found.status != ClearingRun.Status.ACCEPTED:
        raise Conflict(_("the rest can be settled once the run is applied"))
    ids = RunItem.objects.filter(run=found).values_list("obligation_id", flat=True)
    rows = list(
        Obligation.objects.select_for_update()
        .filter(pk__in=ids, status=Obligation.Status.CONFIRMED, remaining_minor__gt=0)
        .select_related("currency")
        .order_by("pk")
    )
    for ob in rows:
        check_currency(ob, currency)
    Obligation.objects.filter(pk__in=[o.pk for o in rows]).update(settlement_currency=currency)
    audit.record(
        actor=actor,
        verb="clearing.run.settle_in",
        obj=found,
        data={"currency": currency.code, "obligations": len(rows)},
    )
    return len(rows)


def _member_account(user: User, currency: Currency, field: str) -> Account:
    account = Account.objects.filter(
        currency=currency, kind=Account.Kind.MEMBER, owner=user, is_active=True
    ).first()
    if account is None:
        raise ValidationFailed(
            _("%(name)s has no %(code)s account") % {"name": user, "code": currency.code},
            field=field,
        )
    return account


def _in_open_proposal(ob: Obligation) -> ClearingRun | None:
    item = (
        RunItem.objects.filter(obligation=ob, run__status__in=[ClearingRun.Status.PROPOSED])
        .select_related("run")
        .first()
    )
    return item.run if item is not None else None


def obligation_settle(
    *,
    actor: Any,
    obligation: Obligation | int,
    amount_minor: int,
    key: str,
    currency: Currency | None = None,
) -> Settlement:
    """The debtor pays `amount_minor` of the obligation's rest to the creditor on the
    ledger, in the chosen currency (or `currency`, which is then recorded as the choice).
    The payment and the settlement are one transaction; a repeat with the same key
    returns the first settlement and moves nothing."""
    _check_amount(amount_minor)
    pk = obligation.pk if isinstance(obligation, Obligation) else obligation
    found = Obligation.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such obligation"))
    require(actor, "clearing.obligation.settle", found)
    if not key or not key.strip():
        raise ValidationFailed(_("an idempotency key is required"), field="idempotency_key")
    scope = f"clearing.settlement:{actor.pk}"
    request = {"obligation": pk, "amount": amount_minor, "currency": getattr(currency, "pk", None)}

    def work() -> Settlement:
        ob = _locked_obligation(pk)
        replay = idempotency.lookup(scope=scope, key=key, request=request)
        if replay is not None:  # a concurrent first request won while we waited
            return Settlement.objects.get(pk=replay)
        _open(ob)
        chosen = currency or ob.settlement_currency or ob.currency
        if ob.settlement_currency_id not in (None, chosen.pk):
            chosen_before = Currency.objects.get(pk=ob.settlement_currency_id)
            raise ValidationFailed(
                _("this obligation is settled in %(code)s") % {"code": chosen_before.code},
                field="currency",
            )
        check_currency(ob, chosen)
        if amount_minor > ob.remaining_minor:
            raise ValidationFailed(
                _("only %(rest)s is left to pay")
                % {"rest": ob.currency.format(ob.remaining_minor)},
                field="amount",
            )
        proposal = _in_open_proposal(ob)
        if proposal is not None:
            raise Conflict(
                _(
                    "this obligation is in clearing run %(run)s, which awaits its members' "
                    "answers; settle it once that run is decided"
                )
                % {"run": proposal.pk}
            )
        payer = _member_account(ob.debtor, chosen, "payer")
        payee = _member_account(ob.creditor, chosen, "payee")
        transfer = ledger.transfer_create(
            actor=actor,
            payer=payer,
            payee=payee,
            amount_minor=amount_minor,
            memo=_("Settles obligation %(id)s %(ref)s") % {"id": ob.pk, "ref": ob.reference},
            category="clearing",
            key=f"clearing-settlement:{key}",
        )
        if transfer.status != Transfer.Status.COMPLETED:
            raise Conflict(
                _(
                    "payments above %(limit)s wait for a steward's approval: settle at most "
                    "that much at a time"
                )
                % {"limit": chosen.format(chosen.authorisation_threshold or 0)}
            )
        now = timezone.now()
        settled = Settlement.objects.create(
            obligation=ob,
            transfer=transfer,
            currency=chosen,
            amount_minor=amount_minor,
            paid_by=actor,
            at=now,
        )
        ob.remaining_minor -= amount_minor
        ob.settlement_currency = chosen
        if ob.remaining_minor == 0:
            ob.status = Obligation.Status.SETTLED
        ob.version += 1
        ob.save(update_fields=["remaining_minor", "settlement_currency", "status", "version"])
        audit.record(
            actor=actor,
            verb="clearing.obligation.settle",
            obj=ob,
            data={
                "amount": amount_minor,
                "currency": chosen.code,
                "transfer": transfer.pk,
                "remaining": ob.remaining_minor,
            },
        )
        events.obligation_settled(actor=actor, settlement=settled)
        return settled

    return idempotency.once(
        scope=scope, key=key, request=request, actor=actor, model=Settlement, work=work
    )
