"""Payment requests: the payee asks, the payer accepts (a payment is made through
`services.transfer_create`) or declines; the payee may withdraw an open request.

`request_paid` is sent inside `request_accept`'s transaction once the payment is
completed (not while it waits for a steward's authorisation), with `request` and
`transfer`: another app records what the payment was for in the same transaction (the
co-op share register, `governance.services.share_payments`). A receiver that raises a
`DomainError` refuses the acceptance: nothing is paid.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, PermissionDenied
from solidaria.core.permissions import is_system_actor
from solidaria.ledger.models import Account, PaymentRequest, Transfer
from solidaria.ledger.rules import check_amount, check_pair, load_account
from solidaria.ledger.services import transfer_create
from solidaria.notifications import events

request_paid = Signal()  # kwargs: request (PaymentRequest), transfer (Transfer, completed)


def _acts_for(actor: Any, account: Account) -> bool:
    """The holder of a member account; for an organisation account, anyone with a right
    on it (paying it is then checked, with the cap, by `transfer_create`)."""
    if account.kind == Account.Kind.ORGANISATION:
        from solidaria.ledger.operators import may_view

        return may_view(actor, account)
    return bool(account.owner_id == getattr(actor, "pk", None))


def _may_ask_into(actor: Any, account: Account) -> bool:
    if account.kind == Account.Kind.ORGANISATION:
        from solidaria.ledger.operators import may_request

        return may_request(actor, account)
    return bool(account.owner_id == getattr(actor, "pk", None))


@transaction.atomic
def request_create(
    *,
    actor: Any,
    payee: Account | int,
    payer: Account | int,
    amount_minor: int,
    memo: str = "",
    category: str = "",
    listing: Any = None,
) -> PaymentRequest:
    """The payee asks the payer for a payment; nothing moves until the payer accepts."""
    check_amount(amount_minor)
    payee_acc, payer_acc = load_account(payee, field="payee"), load_account(payer, field="payer")
    if not is_system_actor(actor) and not _may_ask_into(actor, payee_acc) and listing is None:
        raise PermissionDenied(
            _("you can only ask for payment into your own account"), field="payee"
        )
    check_pair(payer_acc, payee_acc)
    req = PaymentRequest.objects.create(
        currency_id=payee_acc.currency_id,
        payee=payee_acc,
        payer=payer_acc,
        amount_minor=amount_minor,
        memo=(memo or "")[:200],
        category=(category or "")[:64],
        listing=listing,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(actor=actor, verb="ledger.request.create", obj=req, data={"amount": amount_minor})
    events.request_made(actor=actor, request=req)
    return req


def _open_request(request: PaymentRequest | int) -> PaymentRequest:
    pk = request.pk if isinstance(request, PaymentRequest) else request
    found = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("payer", "payee")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("there is no payment request %(id)s") % {"id": pk})
    return found


@transaction.atomic
def request_accept(*, actor: Any, request: PaymentRequest | int) -> Transfer:
    """The payer accepts: the payment is made (or waits for authorisation). Accepting
    twice returns the same transfer."""
    req = _open_request(request)
    if not is_system_actor(actor) and not _acts_for(actor, req.payer):
        raise NotFound(_("there is no payment request %(id)s") % {"id": req.pk})
    if req.status == PaymentRequest.Status.ACCEPTED and req.transfer_id:
        return Transfer.objects.get(pk=req.transfer_id)
    if req.status != PaymentRequest.Status.OPEN:
        raise Conflict(_("this request is %(status)s") % {"status": req.get_status_display()})
    transfer = transfer_create(
        actor=actor,
        payer=req.payer,
        payee=req.payee,
        amount_minor=req.amount_minor,
        memo=req.memo,
        category=req.category,
        key=f"request:{req.pk}",
        kind=Transfer.Kind.REQUEST,
    )
    req.status = PaymentRequest.Status.ACCEPTED
    req.transfer = transfer
    req.decided_at = timezone.now()
    req.save(update_fields=["status", "transfer", "decided_at"])
    audit.record(actor=actor, verb="ledger.request.accept", obj=req)
    if transfer.status == Transfer.Status.COMPLETED:
        request_paid.send(sender=PaymentRequest, request=req, transfer=transfer)
    events.request_decided(actor=actor, request=req)
    return transfer


@transaction.atomic
def request_decline(
    *, actor: Any, request: PaymentRequest | int, reason: str = ""
) -> PaymentRequest:
    req = _open_request(request)
    if not is_system_actor(actor) and not _acts_for(actor, req.payer):
        raise NotFound(_("there is no payment request %(id)s") % {"id": req.pk})
    declined = _close_request(actor, req, PaymentRequest.Status.DECLINED, reason)
    events.request_decided(actor=actor, request=declined, reason=reason)
    return declined


@transaction.atomic
def request_cancel(*, actor: Any, request: PaymentRequest | int) -> PaymentRequest:
    req = _open_request(request)
    if not is_system_actor(actor) and not _acts_for(actor, req.payee):
        raise NotFound(_("there is no payment request %(id)s") % {"id": req.pk})
    return _close_request(actor, req, PaymentRequest.Status.CANCELLED, "")


def _close_request(actor: Any, req: PaymentRequest, status: str, reason: str) -> PaymentRequest:
    if req.status == status:
        return req
    if req.status != PaymentRequest.Status.OPEN:
        raise Conflict(_("this request is %(status)s") % {"status": req.get_status_display()})
    req.status = status
    req.decided_at = timezone.now()
    req.save(update_fields=["status", "decided_at"])
    audit.record(actor=actor, verb=f"ledger.request.{status}", obj=req, reason=reason)
    return req
