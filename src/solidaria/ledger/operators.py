"""Who may act on an organisation's account: per-person rights (`AccountOperator`).

An organisation account is not anyone's own: the people its operators (or a network
steward) name may see it, pay from it up to an amount per payment, and ask for payments
into it. The payment services ask `may_pay` / `check_pay` with the account row locked,
and a grant or withdrawal locks the same row, so a payment sees the right as it was
before or after a change, never half of it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import SYSTEM, is_member, require
from solidaria.ledger.locks import lock_accounts
from solidaria.ledger.models import Account, AccountOperator


def right_of(user: Any, account: Account) -> AccountOperator | None:
    """`user`'s row of rights on `account`; None for the network itself and non-members."""
    if user is SYSTEM or not is_member(user) or not getattr(user, "pk", None):
        return None
    return AccountOperator.objects.filter(account_id=account.pk, user_id=user.pk).first()


def check_pay(actor: Any, account: Account, amount: int | None) -> None:
    """Refuse a payment from an organisation account the actor may not make: no right
    to pay (PermissionDenied), or an amount above their cap (ValidationFailed)."""
    right = right_of(actor, account)
    if right is None or not right.can_pay:
        raise PermissionDenied(
            _("You may not pay from the account of %(name)s.") % {"name": account.name},
            field="payer",
        )
    cap = right.pay_limit_minor
    if cap is not None and (amount is None or amount > cap):
        raise ValidationFailed(
            _("You may pay at most %(cap)s from the account of %(name)s in one payment.")
            % {"cap": account.currency.format(cap), "name": account.name},
            field="amount",
        )


def may_pay(actor: Any, account: Account, amount: int | None) -> bool:
    try:
        check_pay(actor, account, amount)
    except (PermissionDenied, ValidationFailed):
        return False
    return True


def may_request(actor: Any, account: Account) -> bool:
    right = right_of(actor, account)
    return right is not None and right.can_request


def may_view(actor: Any, account: Account) -> bool:
    right = right_of(actor, account)
    return right is not None and (right.can_view or right.can_pay or right.can_request)


def operated_accounts(user: Any, *, right: str = "can_view") -> QuerySet[Account]:
    """The active organisation accounts on which `user` holds `right`."""
    if user is SYSTEM or not is_member(user):
        return Account.objects.none()
    return Account.objects.filter(
        kind=Account.Kind.ORGANISATION,
        is_active=True,
        operators__user_id=user.pk,
        **{f"operators__{right}": True},
    )


def rights_on(account: Account) -> QuerySet[AccountOperator]:
    return AccountOperator.objects.filter(account=account).select_related("user", "granted_by")


def _organisation_account(account: Account | int) -> Account:
    pk = account.pk if isinstance(account, Account) else account
    found = Account.objects.select_related("currency", "organisation").filter(pk=pk).first()
    if found is None or found.kind != Account.Kind.ORGANISATION:
        raise NotFound(_("There is no such organisation account."))
    return found


@transaction.atomic
def account_operator_set(
    *,
    actor: Any,
    account: Account | int,
    user: Any,
    can_view: bool = True,
    can_pay: bool = False,
    pay_limit_minor: int | None = None,
    can_request: bool = False,
    reason: str = "",
) -> AccountOperator:
    """The organisation's operators (or a network steward) give a member rights on one of
    its accounts, or change them."""
    found = _organisation_account(account)
    require(actor, "ledger.account.operators.set", found)
    if user is SYSTEM or not is_member(user):
        raise ValidationFailed(
            _("Only an admitted member can act for an organisation."), field="user"
        )
    if pay_limit_minor is not None and (
        isinstance(pay_limit_minor, bool)
        or not isinstance(pay_limit_minor, int)
        or pay_limit_minor <= 0
    ):
        raise ValidationFailed(
            _("The largest payment must be more than zero, or empty for no cap."),
            field="pay_limit",
        )
    lock_accounts([found.pk])
    right = AccountOperator.objects.filter(account=found, user=user).first()
    before = None
    if right is None:
        right = AccountOperator(account=found, user=user)
    else:
        before = {
            "can_view": right.can_view,
            "can_pay": right.can_pay,
            "pay_limit_minor": right.pay_limit_minor,
            "can_request": right.can_request,
        }
    right.can_view, right.can_pay, right.can_request = (
        bool(can_view),
        bool(can_pay),
        bool(can_request),
    )
    right.pay_limit_minor = pay_limit_minor if can_pay else None
    right.granted_by = actor if getattr(actor, "pk", None) else None
    right.granted_at = timezone.now()
    right.save()
    audit.record(
        actor=actor,
        verb="ledger.account.operator.set",
        obj=found,
        reason=reason,
        data={
            "user": user.pk,
            "before": before,
            "after": {
                "can_view": right.can_view,
                "can_pay": right.can_pay,
                "pay_limit_minor": right.pay_limit_minor,
                "can_request": right.can_request,
            },
        },
    )
    return right


@transaction.atomic
def account_operator_remove(*, actor: Any, account: Account | int, user: Any, reason: str) -> None:
    """Withdraw every right a person holds on an organisation account, saying why."""
    found = _organisation_account(account)
    require(actor, "ledger.account.operators.set", found)
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the rights are withdrawn."), field="reason")
    lock_accounts([found.pk])
    deleted, _rows = AccountOperator.objects.filter(
        Q(account=found) & Q(user_id=getattr(user, "pk", user))
    ).delete()
    if deleted:
        audit.record(
            actor=actor,
            verb="ledger.account.operator.remove",
            obj=found,
            reason=reason,
            data={"user": getattr(user, "pk", user)},
        )


def grant_requester(account: Account, user: Any, actor: Any) -> AccountOperator:
    """The person whose request opened the account gets every right on it (called in
    the approval's transaction)."""
    return AccountOperator.objects.create(
        account=account,
        user=user,
        can_view=True,
        can_pay=True,
        can_request=True,
        granted_by=actor if getattr(actor, "pk", None) else None,
        granted_at=timezone.now(),
    )
