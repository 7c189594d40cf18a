"""The checks every value-moving ledger service shares: amounts, idempotency keys, who
may debit an account, whether two accounts can pay each other, levies and authorisation.

Services (`services`, `batches`, `payment_requests`) call these inside their
transactions; none of them writes anything except `run_once`, which records the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from solidaria.core import idempotency
from solidaria.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from solidaria.core.money import AmountError, parse_minor, parse_minutes
from solidaria.core.permissions import is_member, is_steward, is_system_actor
from solidaria.ledger.journal import LEVY_KINDS
from solidaria.ledger.models import Account, Currency
from solidaria.ledger.writes import Writes

T = TypeVar("T", bound=models.Model)


def parse_amount(currency: Currency, text: str | int, *, field: str = "amount") -> int:
    """A member's amount ('12.50') in minor units; refuses zero, negatives, extra places."""
    if isinstance(text, bool):
        raise ValidationFailed(_("the amount must be a number"), field=field)
    if isinstance(text, int):
        value = text
    elif currency.is_time:
        try:
            value = parse_minutes(str(text))
        except AmountError:
            raise ValidationFailed(
                _("'%(amount)s' is not a time: write 1:30, 1.5 h or 90 min") % {"amount": text},
                field=field,
            ) from None
    else:
        try:
            value = parse_minor(str(text), exponent=currency.exponent, allow_negative=True)
        except AmountError:
            if _looks_too_precise(str(text)):
                raise ValidationFailed(
                    _("%(amount)s has more decimal places than %(code)s allows (%(places)s)")
                    % {"amount": text, "code": currency.code, "places": currency.exponent},
                    field=field,
                ) from None
            raise ValidationFailed(
                _("'%(amount)s' is not an amount") % {"amount": text}, field=field
            ) from None
    check_amount(value, field=field)
    return value


def _looks_too_precise(text: str) -> bool:
    try:
        parse_minor(text, exponent=18, allow_negative=True)
    except AmountError:
        return False
    return True


def check_amount(value: Any, *, field: str = "amount") -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(_("the amount must be a whole number of minor units"), field=field)
    if value <= 0:
        raise ValidationFailed(_("the amount must be more than zero"), field=field)
    if value >= 10**15:
        raise ValidationFailed(_("the amount is too large"), field=field)


def namespaced_key(actor: Any, key: str | None) -> str:
    if not key or not str(key).strip():
        raise ValidationFailed(
            _("an idempotency key is required for payments (Idempotency-Key header)"),
            field="idempotency_key",
        )
    key = str(key).strip()
    if len(key) > 100:
        raise ValidationFailed(
            _("the idempotency key is too long (100 characters at most)"), field="idempotency_key"
        )
    owner = getattr(actor, "pk", None) or "system"
    return f"{owner}:{key}"


def run_once(
    *,
    scope: str,
    actor: Any,
    key: str | None,
    request: dict[str, Any],
    model: type[T],
    work: Callable[[], T],
    writes: Writes | None = None,
    optimistic: bool = False,
) -> T:
    """Run `work` once per key. A concurrent first request with the same key loses on the
    unique (scope, key) constraint, rolls back, and then finds the winner's result.

    With `writes` (a buffer `work` fills), the idempotency record joins the buffer and
    everything is sent together, still inside this one transaction.

    `optimistic`: first try without looking the key up (one round trip less for every
    first request). A repeat then fails on the unique constraint, or `work` refuses it
    (e.g. the payer has no room left for a second payment); either way that transaction
    rolls back, having moved nothing, and the careful path below looks the key up and
    returns the first result — or runs `work` again and raises its error."""
    namespaced = namespaced_key(actor, key)

    def attempt_once(*, look_up: bool) -> T:
        with transaction.atomic():
            if look_up:
                existing = idempotency.lookup(scope=scope, key=namespaced, request=request)
                if existing is not None:
                    found = model._default_manager.get(pk=existing)
                    found.replayed = True  # type: ignore[attr-defined]
                    return found
            if writes is not None:
                writes.clear()
            result = work()
            if writes is None:
                idempotency.remember(
                    scope=scope, key=namespaced, request=request, result=result, actor=actor
                )
            else:
                writes.insert(
                    idempotency.record_for(
                        scope=scope, key=namespaced, request=request, result=result, actor=actor
                    )
                )
                writes.flush()
            result.replayed = False  # type: ignore[attr-defined]
            return result

    if optimistic:
        try:
            return attempt_once(look_up=False)
        except (IntegrityError, DomainError):
            pass
    for attempt in range(2):
        try:
            return attempt_once(look_up=True)
        except IntegrityError:
            if attempt == 1:
                raise Conflict(
                    _("this request clashed with another one; please try again")
                ) from None
    raise AssertionError("unreachable")


def account_pk(ref: Account | int, *, field: str) -> int:
    pk = ref.pk if isinstance(ref, Account) else ref
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise NotFound(_("there is no account %(ref)s") % {"ref": pk}, field=field)
    return pk


def load_account(ref: Account | int, *, field: str) -> Account:
    pk = ref.pk if isinstance(ref, Account) else ref
    try:
        return Account.objects.select_related("currency").get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("there is no account %(ref)s") % {"ref": pk}, field=field) from None


def may_debit(actor: Any, account: Account, amount: int | None = None) -> bool:
    """The network itself, the holder of a member account, a steward for a system account,
    and for an organisation account a person it gave the right to pay (up to their cap)."""
    if is_system_actor(actor):  # the CLI, jobs and the demo loader act as the network
        return True
    if not is_member(actor):
        return False
    if account.kind == Account.Kind.ORGANISATION:
        from solidaria.ledger.operators import may_pay

        return may_pay(actor, account, amount)
    if account.owner_id == actor.pk:
        return True
    return account.kind == Account.Kind.SYSTEM and is_steward(actor)


def require_debit(
    actor: Any, account: Account, *, field: str = "payer", amount: int | None = None
) -> None:
    if account.kind == Account.Kind.ORGANISATION and not is_system_actor(actor):
        from solidaria.ledger.operators import check_pay

        check_pay(actor, account, amount)  # says whether the right or the cap is missing
        return
    if not may_debit(actor, account, amount):
        raise PermissionDenied(_("you can only pay from your own account"), field=field)


def check_pair(payer: Account, payee: Account, *, line: int | None = None) -> None:
    prefix = _("line %(line)s: ") % {"line": line} if line is not None else ""
    if payer.pk == payee.pk:
        raise ValidationFailed(
            prefix + _("the payer and the payee are the same account"), field="payee"
        )
    if payer.currency_id != payee.currency_id:
        raise ValidationFailed(
            prefix
            + _("%(payee)s holds %(theirs)s, not %(ours)s: both accounts need the same currency")
            % {"payee": payee.name, "theirs": payee.currency.code, "ours": payer.currency.code},
            field="currency",
        )
    for acc, fld in ((payer, "payer"), (payee, "payee")):
        if acc.kind == Account.Kind.LINK:
            raise ValidationFailed(
                prefix + _("Pay a member of another network by their address, network/member."),
                field=fld,
            )
        if not acc.is_active or not acc.currency.is_active:
            raise ValidationFailed(
                prefix + _("the account %(name)s is closed") % {"name": acc.name}, field=fld
            )


def levy_for(currency: Currency, payer: Account, kind: str, amount: int) -> int:
    if kind not in LEVY_KINDS or payer.kind == Account.Kind.SYSTEM:
        return 0
    return currency.levy_for(amount)


def needs_authorisation(actor: Any, currency: Currency, amount: int, kind: str) -> bool:
    threshold = currency.authorisation_threshold
    return (
        threshold is not None
        and amount > threshold
        and kind in LEVY_KINDS
        and not is_steward(actor)  # SYSTEM and stewards are not held for authorisation
    )


def require_steward(actor: Any) -> None:
    if not is_steward(actor):  # SYSTEM is a steward
        raise PermissionDenied(_("only stewards may do this"))
