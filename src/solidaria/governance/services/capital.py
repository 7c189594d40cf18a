"""The share register: share types and the append-only entries that subscribe,
transfer and redeem shares. Writes lock the co-op row, which also serialises the
register's numbering, and take an optional idempotency key."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit, idempotency
from solidaria.core.errors import Conflict, ValidationFailed
from solidaria.core.permissions import is_member
from solidaria.governance import queries
from solidaria.governance.models import (
    CapitalEntry,
    Cooperative,
    Membership,
    ShareOrder,
    ShareType,
)
from solidaria.governance.services.permissions import acting_user, require_coop_steward


@transaction.atomic
def share_type_create(
    *,
    actor: Any,
    coop: Cooperative,
    name: str,
    nominal_minor: int,
    min_holding: int = 0,
    max_holding: int | None = None,
) -> ShareType:
    require_coop_steward(actor, coop)
    if isinstance(nominal_minor, bool) or not isinstance(nominal_minor, int) or nominal_minor <= 0:
        raise ValidationFailed(_("the nominal value must be more than zero"), field="nominal")
    if min_holding < 0 or (max_holding is not None and max_holding < min_holding):
        raise ValidationFailed(
            _("the maximum holding must be at least the minimum"), field="max_holding"
        )
    if ShareType.objects.filter(coop=coop, name=name).exists():
        raise Conflict(_("the share type %(n)s exists already") % {"n": name}, field="name")
    share_type = ShareType.objects.create(
        coop=coop,
        name=name,
        nominal_minor=nominal_minor,
        min_holding=min_holding,
        max_holding=max_holding,
    )
    audit.record(actor=actor, verb="governance.share_type.create", obj=share_type)
    return share_type


def _refuse_if_paid_on_ledger(coop: Cooperative) -> None:
    if queries.coop_account(coop) is not None:
        raise ValidationFailed(
            _(
                "%(coop)s takes share payments on the ledger: subscribe or redeem with a "
                "payment, and the register entry is written when it is paid."
            )
            % {"coop": coop.name},
            field="operation",
        )


def lock_coop(coop: Cooperative) -> Cooperative:
    return Cooperative.objects.select_for_update().get(pk=coop.pk)


def next_seq(coop: Cooperative) -> int:
    last = CapitalEntry.objects.filter(coop=coop).order_by("-seq").values_list("seq", flat=True)
    return (last.first() or 0) + 1


def _quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed(_("the number of shares must be more than zero"), field="quantity")
    return quantity


def _share_type_of(coop: Cooperative, share_type: ShareType | int) -> ShareType:
    pk = share_type.pk if isinstance(share_type, ShareType) else share_type
    found = ShareType.objects.filter(coop=coop, pk=pk).first()
    if found is None:
        raise ValidationFailed(_("choose one of this co-op's share types"), field="share_type")
    return found


def _keyed(
    *, scope: str, actor: Any, key: str | None, request: dict[str, Any], work: Any
) -> CapitalEntry:
    """Run `work` once per idempotency key (no key: always run)."""
    if not key:
        return work()  # type: ignore[no-any-return]
    namespaced = f"{getattr(actor, 'pk', None) or 'system'}:{str(key).strip()[:100]}"
    return idempotency.once(
        scope=scope,
        key=namespaced,
        request=request,
        actor=acting_user(actor),
        model=CapitalEntry,
        work=work,
    )


def check_limits(
    membership: Membership, share_type: ShareType, kind: str, quantity: int, pending: int = 0
) -> None:
    """The register's limits for subscribing or redeeming `quantity` shares; `pending`
    counts open share orders of the same kind (asked for but not paid yet)."""
    held = queries.holding(membership, share_type)
    if kind == ShareOrder.Kind.SUBSCRIPTION:
        if membership.status != Membership.Status.ACTIVE:
            raise ValidationFailed(_("only current members can subscribe shares"), field="member")
        if not share_type.is_active:
            raise ValidationFailed(_("this share type is closed"), field="share_type")
        after = held + pending + quantity
        if share_type.max_holding is not None and after > share_type.max_holding:
            raise ValidationFailed(
                _("%(u)s would hold %(n)s shares; at most %(max)s are allowed")
                % {"u": membership.user.username, "n": after, "max": share_type.max_holding},
                field="quantity",
            )
        if held + quantity < share_type.min_holding:
            raise ValidationFailed(
                _("a member holds at least %(min)s shares of this type")
                % {"min": share_type.min_holding},
                field="quantity",
            )
        return
    available = held - pending
    if quantity > available:
        raise ValidationFailed(
            _("%(u)s holds %(held)s %(type)s shares and cannot redeem %(n)s")
            % {
                "u": membership.user.username,
                "held": available,
                "type": share_type.name,
                "n": quantity,
            },
            field="quantity",
        )
    is_active = membership.status == Membership.Status.ACTIVE
    if is_active and available - quantity < share_type.min_holding:
        raise ValidationFailed(
            _("a current member keeps at least %(min)s shares of this type")
            % {"min": share_type.min_holding},
            field="quantity",
        )


def register_entry(
    coop: Cooperative,
    seq: int,
    membership: Membership,
    kind: str,
    share_type: ShareType | None,
    quantity: int,
    amount: int,
    actor: Any,
    now: dt.datetime,
    **extra: Any,
) -> CapitalEntry:
    return CapitalEntry.objects.create(
        coop=coop,
        seq=seq,
        membership=membership,
        kind=kind,
        share_type=share_type,
        quantity=quantity,
        amount_minor=amount,
        created_by=acting_user(actor),
        created_at=now,
        **extra,
    )


@transaction.atomic
def shares_subscribe(
    *,
    actor: Any,
    membership: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """A steward records shares paid outside the platform. A co-op that holds an account
    in its currency takes share payments on the ledger instead (`share_payments`)."""
    coop = membership.coop
    require_coop_steward(actor, coop)
    _refuse_if_paid_on_ledger(coop)
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    request = {"op": "subscribe", "m": membership.pk, "t": share_type.pk, "q": quantity}

    def work() -> CapitalEntry:
        locked = lock_coop(coop)
        m = Membership.objects.select_related("user").get(pk=membership.pk)
        check_limits(m, share_type, ShareOrder.Kind.SUBSCRIPTION, quantity)
        entry = register_entry(
            locked,
            next_seq(locked),
            m,
            CapitalEntry.Kind.SUBSCRIPTION,
            share_type,
            quantity,
            quantity * share_type.nominal_minor,
            actor,
            timezone.now(),
            memo=memo[:200],
        )
        audit.record(actor=actor, verb="governance.shares.subscribe", obj=entry, data=request)
        return entry

    return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)


@transaction.atomic
def shares_transfer(
    *,
    actor: Any,
    seller: Membership,
    buyer: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """Shares pass from one member to another: two register lines with one group id.
    The seller may do it; so may a steward. More than the seller holds is refused."""
    coop = seller.coop
    is_seller = is_member(actor) and seller.user_id == getattr(actor, "pk", None)
    if not is_seller:
        require_coop_steward(actor, coop)
    if buyer.coop_id != coop.pk:
        raise ValidationFailed(_("the buyer is not a member of this co-op"), field="buyer")
    if buyer.pk == seller.pk:
        raise ValidationFailed(_("the seller and the buyer are the same member"), field="buyer")
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    request = {"op": "transfer", "s": seller.pk, "b": buyer.pk, "t": share_type.pk, "q": quantity}

    def work() -> CapitalEntry:
        locked = lock_coop(coop)
        s = Membership.objects.select_related("user").get(pk=seller.pk)
        b = Membership.objects.select_related("user").get(pk=buyer.pk)
        if b.status != Membership.Status.ACTIVE:
            raise ValidationFailed(_("shares can only pass to a current member"), field="buyer")
        held = queries.holding(s, share_type)
        if quantity > held:
            raise ValidationFailed(
                _("%(u)s holds %(held)s %(type)s shares and cannot transfer %(n)s")
                % {"u": s.user.username, "held": held, "type": share_type.name, "n": quantity},
                field="quantity",
            )
        if s.status == Membership.Status.ACTIVE and held - quantity < share_type.min_holding:
            raise ValidationFailed(
                _("a current member keeps at least %(min)s shares of this type")
                % {"min": share_type.min_holding},
                field="quantity",
            )
        after = queries.holding(b, share_type) + quantity
        if share_type.max_holding is not None and after > share_type.max_holding:
            raise ValidationFailed(
                _("%(u)s would hold %(n)s shares; at most %(max)s are allowed")
                % {"u": b.user.username, "n": after, "max": share_type.max_holding},
                field="quantity",
            )
        now, group, seq = timezone.now(), uuid.uuid4(), next_seq(locked)
        amount = quantity * share_type.nominal_minor
        out = register_entry(
            locked,
            seq,
            s,
            CapitalEntry.Kind.TRANSFER_OUT,
            share_type,
            -quantity,
            -amount,
            actor,
            now,
            group=group,
            counterparty=b,
            memo=memo[:200],
        )
        register_entry(
            locked,
            seq + 1,
            b,
            CapitalEntry.Kind.TRANSFER_IN,
            share_type,
            quantity,
            amount,
            actor,
            now,
            group=group,
            counterparty=s,
            memo=memo[:200],
        )
        audit.record(actor=actor, verb="governance.shares.transfer", obj=out, data=request)
        return out

    return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)


@transaction.atomic
def shares_redeem(
    *,
    actor: Any,
    membership: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """A steward records shares bought back outside the platform (typically when a member
    leaves); on the ledger when the co-op holds an account (`share_payments`)."""
    coop = membership.coop
    require_coop_steward(actor, coop)
    _refuse_if_paid_on_ledger(coop)
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    request = {"op": "redeem", "m": membership.pk, "t": share_type.pk, "q": quantity}

    def work() -> CapitalEntry:
        locked = lock_coop(coop)
        m = Membership.objects.select_related("user").get(pk=membership.pk)
        check_limits(m, share_type, ShareOrder.Kind.REDEMPTION, quantity)
        entry = register_entry(
            locked,
            next_seq(locked),
            m,
            CapitalEntry.Kind.REDEMPTION,
            share_type,
            -quantity,
            -quantity * share_type.nominal_minor,
            actor,
            timezone.now(),
            memo=memo[:200],
        )
        audit.record(actor=actor, verb="governance.shares.redeem", obj=entry, data=request)
        return entry

    return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)
