"""Shares paid on the ledger: subscribing pays the co-op, redeeming pays the member back.

A co-op whose directory organisation holds an account in the co-op's currency takes
its share capital through that account (`coop_account`):

* **Paid now** (`shares_pay_now`): the payer authorises the payment on the form. The
  ledger payment and the register entry are written in one transaction; the payment is
  made as the person acting, so the ledger's own rules decide whether they may pay from
  the payer account (a member from their own, an operator from the co-op's within their
  rights) and whether the payer has room (a co-op account at limit 0 cannot pay back
  money it does not hold).
* **Asked for** (`shares_request_payment`): a ledger payment request goes to the payer
  (the member when subscribing, the co-op's account when redeeming) with a `ShareOrder`
  that remembers what it is for. The register entry is written when the payer accepts
  and the payment completes, in that transaction (`share_order_settle`, called through
  `ledger.payment_requests.request_paid`). Limits are checked again then, with the co-op
  row locked: of two orders racing over a maximum holding, the second is refused and
  pays nothing.

Lock order, everywhere: the accounts (by the ledger, in primary-key order), then the
co-op row; the same in `request_accept`, so the two paths cannot deadlock each other.
A payment held for a steward's authorisation settles nothing: the direct path refuses
it (ask for a payment request instead) and an order stays open.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import ValidationFailed
from solidaria.core.permissions import SYSTEM, require
from solidaria.governance import queries
from solidaria.governance.models import CapitalEntry, Cooperative, Membership, ShareOrder, ShareType
from solidaria.governance.services.capital import (
    _keyed,
    _quantity,
    _share_type_of,
    check_limits,
    lock_coop,
    next_seq,
    register_entry,
)
from solidaria.governance.services.permissions import acting_user
from solidaria.notifications import events

SHARES_CATEGORY = "shares"  # ledger category of share payments (not purchases)
KINDS = (ShareOrder.Kind.SUBSCRIPTION, ShareOrder.Kind.REDEMPTION)


def _require_coop_account(coop: Cooperative) -> Any:
    account = queries.coop_account(coop)
    if account is None:
        raise ValidationFailed(
            _(
                "%(coop)s has no account in its currency yet: its organisation asks for one "
                "on the ledger, and a steward of the currency approves it."
            )
            % {"coop": coop.name},
            field="share_type",
        )
    return account


def _member_account(membership: Membership, currency: Any) -> Any:
    """The member's account in the co-op's currency, opened for them if they have none
    (its credit line follows the currency's policy, like any other opening)."""
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Account

    found = Account.objects.filter(
        kind=Account.Kind.MEMBER, owner_id=membership.user_id, currency=currency
    ).first()
    return found or ledger.account_open(actor=SYSTEM, currency=currency, owner=membership.user)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationFailed(_("choose a subscription or a redemption"), field="kind")
    return kind


def _require_may_order(actor: Any, kind: str, membership: Membership, *, pay_now: bool) -> None:
    """A member subscribes or asks to redeem their own shares; the co-op's stewards may do
    both for any member. Paying a redemption now is a steward's decision."""
    if kind == ShareOrder.Kind.REDEMPTION and pay_now:
        require(actor, "governance.coop.steward", membership.coop)
    else:
        require(actor, "governance.shares.order", membership)


def _pending(membership: Membership, share_type: ShareType, kind: str) -> int:
    """Shares in this member's open orders of this kind (their request still open)."""
    from solidaria.ledger.models import PaymentRequest

    rows = ShareOrder.objects.filter(
        membership=membership,
        share_type=share_type,
        kind=kind,
        entry__isnull=True,
        payment_request__status=PaymentRequest.Status.OPEN,
    ).values_list("quantity", flat=True)
    return sum(rows)


def _memo(kind: str, quantity: int, share_type: ShareType, coop: Cooperative) -> str:
    values = {"n": quantity, "type": share_type.name, "coop": coop.name}
    if kind == ShareOrder.Kind.SUBSCRIPTION:
        return (_("%(n)s %(type)s shares in %(coop)s") % values)[:200]
    return (_("%(n)s %(type)s shares in %(coop)s paid back") % values)[:200]


def _record(
    *,
    actor: Any,
    kind: str,
    membership: Membership,
    share_type: ShareType,
    quantity: int,
    transfer: Any,
    memo: str,
) -> CapitalEntry:
    """Lock the co-op, check the limits once more, write the register entry for the
    payment (called inside the payment's transaction, after the ledger locked the
    accounts)."""
    locked = lock_coop(membership.coop)
    m = Membership.objects.select_related("user").get(pk=membership.pk)
    check_limits(m, share_type, kind, quantity)
    is_subscription = kind == ShareOrder.Kind.SUBSCRIPTION
    sign = 1 if is_subscription else -1
    entry = register_entry(
        locked,
        next_seq(locked),
        m,
        CapitalEntry.Kind.SUBSCRIPTION if is_subscription else CapitalEntry.Kind.REDEMPTION,
        share_type,
        sign * quantity,
        sign * quantity * share_type.nominal_minor,
        actor,
        timezone.now(),
        transfer=transfer,
        memo=memo[:200],
    )
    verb = "governance.shares.subscribe" if is_subscription else "governance.shares.redeem"
    audit.record(
        actor=actor,
        verb=verb,
        obj=entry,
        data={"m": m.pk, "t": share_type.pk, "q": quantity, "transfer": transfer.pk},
    )
    events.share_entry_written(actor=actor, entry=entry)
    return entry


def shares_pay_now(
    *,
    actor: Any,
    kind: str,
    membership: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """Subscribe (member -> co-op) or redeem (co-op -> member) with the payment made now,
    as `actor`; the register entry is written in the same transaction."""
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Transfer

    kind = _kind(kind)
    _require_may_order(actor, kind, membership, pay_now=True)
    coop = membership.coop
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    co_account = _require_coop_account(coop)
    amount = quantity * share_type.nominal_minor
    request = {"op": f"pay-{kind}", "m": membership.pk, "t": share_type.pk, "q": quantity}
    inner_key = f"governance-shares:{key or uuid.uuid4().hex}"[:100]

    def work() -> CapitalEntry:
        m = Membership.objects.select_related("user", "coop").get(pk=membership.pk)
        check_limits(m, share_type, kind, quantity)  # before any money moves: a clear reason
        member_account = _member_account(m, co_account.currency)
        is_subscription = kind == ShareOrder.Kind.SUBSCRIPTION
        payer, payee = (
            (member_account, co_account) if is_subscription else (co_account, member_account)
        )
        transfer = ledger.transfer_create(
            actor=actor,
            payer=payer,
            payee=payee,
            amount_minor=amount,
            memo=memo.strip()[:200] or _memo(kind, quantity, share_type, coop),
            category=SHARES_CATEGORY,
            key=inner_key,
        )
        if transfer.status != Transfer.Status.COMPLETED:
            raise ValidationFailed(
                _(
                    "This payment would wait for a steward's authorisation; ask for a payment "
                    "request instead, and the shares are entered when it is paid."
                ),
                field="quantity",
            )
        return _record(
            actor=actor,
            kind=kind,
            membership=m,
            share_type=share_type,
            quantity=quantity,
            transfer=transfer,
            memo=memo,
        )

    with transaction.atomic():
        return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)


@transaction.atomic
def shares_request_payment(
    *,
    actor: Any,
    kind: str,
    membership: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
) -> ShareOrder:
    """Subscribe or redeem through a ledger payment request to the payer; nothing is
    entered in the register until the payer accepts and the payment completes."""
    from solidaria.ledger import payment_requests

    kind = _kind(kind)
    _require_may_order(actor, kind, membership, pay_now=False)
    coop = membership.coop
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    co_account = _require_coop_account(coop)
    locked = lock_coop(coop)  # serialises the pending count with other orders
    m = Membership.objects.select_related("user").get(pk=membership.pk)
    check_limits(m, share_type, kind, quantity, pending=_pending(m, share_type, kind))
    member_account = _member_account(m, co_account.currency)
    is_subscription = kind == ShareOrder.Kind.SUBSCRIPTION
    payer, payee = (member_account, co_account) if is_subscription else (co_account, member_account)
    amount = quantity * share_type.nominal_minor
    text = memo.strip()[:200] or _memo(kind, quantity, share_type, coop)
    # The platform asks on the co-op's behalf: the rule above decided who may.
    req = payment_requests.request_create(
        actor=SYSTEM,
        payee=payee,
        payer=payer,
        amount_minor=amount,
        memo=text,
        category=SHARES_CATEGORY,
    )
    order = ShareOrder.objects.create(
        coop=locked,
        membership=m,
        kind=kind,
        share_type=share_type,
        quantity=quantity,
        amount_minor=amount,
        payment_request=req,
        memo=text,
        created_by=acting_user(actor),
        created_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        verb=f"governance.shares.{'order' if is_subscription else 'redeem_order'}",
        obj=order,
        data={"m": m.pk, "t": share_type.pk, "q": quantity, "request": req.pk},
    )
    return order


def share_order_settle(*, request: Any, transfer: Any) -> CapitalEntry | None:
    """The payment of a share order's request completed: enter the shares in the
    register, in the payment's transaction. Not a share order: nothing to do. A limit
    broken meanwhile raises, and the payment is refused with it."""
    order = (
        ShareOrder.objects.select_for_update()
        .select_related("membership__coop", "share_type")
        .filter(payment_request_id=request.pk)
        .first()
    )
    if order is None:
        return None
    if order.entry_id is not None:
        return order.entry
    entry = _record(
        actor=getattr(transfer, "created_by", None) or SYSTEM,
        kind=order.kind,
        membership=order.membership,
        share_type=order.share_type,
        quantity=order.quantity,
        transfer=transfer,
        memo=order.memo,
    )
    order.entry = entry
    order.settled_at = entry.created_at
    order.save(update_fields=["entry", "settled_at"])
    return entry


def on_request_paid(sender: Any, *, request: Any, transfer: Any, **kwargs: Any) -> None:
    """Receiver of `ledger.payment_requests.request_paid` (connected in `apps.py`)."""
    share_order_settle(request=request, transfer=transfer)
