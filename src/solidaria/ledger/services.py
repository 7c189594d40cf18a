"""Every write to the ledger: one function per use case, one transaction each.

Value-moving functions take an idempotency `key` (a repeat returns the first result and
moves nothing; the same key for a different request is a 409), lock the accounts they
touch in primary-key order, write transfers, journal entries and cached balances in the
same transaction, and record an audit event. Pages, API, CLI and demo all call these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit, idempotency
from solidaria.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from solidaria.core.money import AmountError, parse_minor
from solidaria.core.permissions import is_member, is_steward
from solidaria.ledger import fastpay
from solidaria.ledger.journal import LEVY_KINDS, Leg, check_payee_room, check_payer_room, post
from solidaria.ledger.locks import (
    NETWORK_ACCOUNT,
    lock_accounts,
    lock_network,
    network_account,
)
from solidaria.ledger.locks import system_account as system_account  # public: other apps
from solidaria.ledger.models import Account, Currency, Transfer
from solidaria.ledger.writes import Writes

T = TypeVar("T", bound=models.Model)


# --- input helpers -------------------------------------------------------------------


def parse_amount(currency: Currency, text: str | int, *, field: str = "amount") -> int:
    """A member's amount ('12.50') in minor units; refuses zero, negatives, extra places."""
    if isinstance(text, bool):
        raise ValidationFailed(_("the amount must be a number"), field=field)
    if isinstance(text, int):
        value = text
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


def _key(actor: Any, key: str | None) -> str:
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


def _idempotent(
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
    namespaced = _key(actor, key)

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


def _pk(ref: Account | int, *, field: str) -> int:
    pk = ref.pk if isinstance(ref, Account) else ref
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise NotFound(_("there is no account %(ref)s") % {"ref": pk}, field=field)
    return pk


def _account(ref: Account | int, *, field: str) -> Account:
    pk = ref.pk if isinstance(ref, Account) else ref
    try:
        return Account.objects.select_related("currency").get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("there is no account %(ref)s") % {"ref": pk}, field=field) from None


def _may_debit(actor: Any, account: Account) -> bool:
    if actor is None:  # the CLI and the demo loader act as the network itself
        return True
    if not is_member(actor):
        return False
    if account.owner_id == actor.pk:
        return True
    return account.kind == Account.Kind.SYSTEM and is_steward(actor)


def _require_debit(actor: Any, account: Account, *, field: str = "payer") -> None:
    if not _may_debit(actor, account):
        raise PermissionDenied(_("you can only pay from your own account"), field=field)


def _check_pair(payer: Account, payee: Account, *, line: int | None = None) -> None:
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
        if not acc.is_active or not acc.currency.is_active:
            raise ValidationFailed(
                prefix + _("the account %(name)s is closed") % {"name": acc.name}, field=fld
            )


def levy_for(currency: Currency, payer: Account, kind: str, amount: int) -> int:
    if kind not in LEVY_KINDS or payer.kind == Account.Kind.SYSTEM:
        return 0
    return currency.levy_for(amount)


def _needs_authorisation(actor: Any, currency: Currency, amount: int, kind: str) -> bool:
    threshold = currency.authorisation_threshold
    return (
        threshold is not None
        and amount > threshold
        and kind in LEVY_KINDS
        and actor is not None
        and not is_steward(actor)
    )


# --- currencies and accounts ---------------------------------------------------------

CURRENCY_FIELDS = [
    "name",
    "unit_kind",
    "exponent",
    "default_credit_limit",
    "default_upper_limit",
    "soft_credit_limit",
    "soft_upper_limit",
    "starting_grant",
    "levy_basis_points",
    "authorisation_threshold",
    "is_active",
]


def _require_steward(actor: Any) -> None:
    if actor is not None and not is_steward(actor):
        raise PermissionDenied(_("only stewards may do this"))


@transaction.atomic
def currency_create(*, actor: Any, code: str, name: str, **settings: Any) -> Currency:
    _require_steward(actor)
    code = code.strip().upper()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed(_("a currency code is letters and digits"), field="code")
    if Currency.objects.filter(code=code).exists():
        raise Conflict(_("a currency %(code)s already exists") % {"code": code}, field="code")
    unknown = set(settings) - set(CURRENCY_FIELDS)
    if unknown:
        raise ValidationFailed(_("unknown setting %(name)s") % {"name": sorted(unknown)[0]})
    currency = Currency(code=code, name=name, **settings)
    _validate_currency(currency)
    currency.save()
    network_account(currency)
    audit.record(actor=actor, verb="ledger.currency.create", obj=currency, data={"code": code})
    return currency


def _validate_currency(currency: Currency) -> None:
    if currency.exponent > 6:
        raise ValidationFailed(_("at most 6 decimal places"), field="exponent")
    for fld in ("default_credit_limit", "starting_grant", "levy_basis_points"):
        if getattr(currency, fld) < 0:
            raise ValidationFailed(_("this cannot be negative"), field=fld)
    if currency.levy_basis_points > 10000:
        raise ValidationFailed(
            _("a levy is at most 10000 basis points (100%)"), field="levy_basis_points"
        )


@transaction.atomic
def currency_update(*, actor: Any, currency: Currency, reason: str, **changes: Any) -> Currency:
    """Change a currency's settings. Defaults apply to accounts opened afterwards."""
    _require_steward(actor)
    if not reason.strip():
        raise ValidationFailed(_("say why the settings change"), field="reason")
    currency = Currency.objects.select_for_update().get(pk=currency.pk)
    unknown = set(changes) - set(CURRENCY_FIELDS)
    if unknown:
        raise ValidationFailed(_("unknown setting %(name)s") % {"name": sorted(unknown)[0]})
    if (
        "exponent" in changes
        and changes["exponent"] != currency.exponent
        and Account.objects.filter(currency=currency)
        .filter(models.Q(entry_count__gt=0) | models.Q(reserved__gt=0))
        .exists()
    ):
        raise ValidationFailed(
            _("the decimal places cannot change once payments were made"), field="exponent"
        )
    before = {k: getattr(currency, k) for k in changes}
    for k, v in changes.items():
        setattr(currency, k, v)
    _validate_currency(currency)
    currency.save()
    audit.record(
        actor=actor,
        verb="ledger.currency.update",
        obj=currency,
        reason=reason,
        data={"before": before, "after": changes},
    )
    return currency


def account_open(
    *,
    actor: Any,
    currency: Currency,
    owner: Any = None,
    kind: str = Account.Kind.MEMBER,
    name: str = "",
) -> Account:
    """Open an account (a member joins a currency). A member account is unique per
    currency: opening it again returns it. New member accounts get the starting grant."""
    if actor is not None and not is_member(actor):
        raise PermissionDenied(_("log in to open an account"))
    owner = owner or actor
    if kind == Account.Kind.SYSTEM:
        raise ValidationFailed(_("system accounts are made by the network itself"), field="kind")
    if actor is not None and owner.pk != actor.pk:
        _require_steward(actor)
    if not currency.is_active:
        raise ValidationFailed(_("%(code)s is closed") % {"code": currency.code}, field="currency")
    with transaction.atomic():
        if kind == Account.Kind.MEMBER:
            existing = Account.objects.filter(currency=currency, owner=owner, kind=kind).first()
            if existing is not None:
                return existing
        if kind == Account.Kind.ORGANISATION and not name.strip():
            raise ValidationFailed(_("an organisation account needs a name"), field="name")
        account = Account.objects.create(
            currency=currency,
            owner=owner if kind != Account.Kind.SYSTEM else None,
            kind=kind,
            name=name.strip() or getattr(owner, "username", NETWORK_ACCOUNT),
            credit_limit=currency.default_credit_limit if kind != Account.Kind.SYSTEM else None,
            upper_limit=currency.default_upper_limit if kind != Account.Kind.SYSTEM else None,
        )
        audit.record(actor=actor, verb="ledger.account.open", obj=account)
        if kind == Account.Kind.MEMBER and currency.starting_grant > 0:
            source = network_account(currency)
            locked = lock_accounts([source.pk, account.pk])
            post(
                legs=[
                    Leg(
                        payer=locked[source.pk],
                        payee=locked[account.pk],
                        amount=currency.starting_grant,
                        memo=_("starting grant"),
                        category="grant",
                        kind=Transfer.Kind.GRANT,
                    )
                ],
                accounts=locked,
                actor=None,
                now=timezone.now(),
            )
            account.refresh_from_db()
    return account


@transaction.atomic
def account_limits_set(
    *,
    actor: Any,
    account: Account,
    credit_limit: int | None,
    upper_limit: int | None,
    reason: str,
) -> Account:
    """A steward changes one account's limits; the audit journal keeps who, why, before."""
    _require_steward(actor)
    if not reason.strip():
        raise ValidationFailed(_("say why the limits change"), field="reason")
    account = lock_accounts([account.pk])[account.pk]
    cur = account.currency
    if credit_limit is not None and credit_limit < 0:
        raise ValidationFailed(_("a credit limit cannot be negative"), field="credit_limit")
    if credit_limit is None and account.kind != Account.Kind.SYSTEM:
        raise ValidationFailed(
            _("only system accounts may have no credit limit"), field="credit_limit"
        )
    if credit_limit is not None and account.available < -credit_limit:
        raise ValidationFailed(
            _("the balance %(balance)s is already below the new limit of %(limit)s")
            % {"balance": cur.format(account.available), "limit": cur.format(-credit_limit)},
            field="credit_limit",
        )
    if upper_limit is not None and account.balance > upper_limit:
        raise ValidationFailed(
            _("the balance %(balance)s is already above the new upper limit of %(limit)s")
            % {"balance": cur.format(account.balance), "limit": cur.format(upper_limit)},
            field="upper_limit",
        )
    before = {"credit_limit": account.credit_limit, "upper_limit": account.upper_limit}
    account.credit_limit, account.upper_limit = credit_limit, upper_limit
    account.save(update_fields=["credit_limit", "upper_limit"])
    audit.record(
        actor=actor,
        verb="ledger.account.limits",
        obj=account,
        reason=reason,
        data={
            "before": before,
            "after": {"credit_limit": credit_limit, "upper_limit": upper_limit},
        },
    )
    return account


# --- transfers -----------------------------------------------------------------------


def transfer_create(
    *,
    actor: Any,
    payer: Account | int,
    payee: Account | int,
    amount_minor: int,
    memo: str = "",
    category: str = "",
    key: str | None,
    kind: str = Transfer.Kind.PAYMENT,
) -> Transfer:
    """Pay `amount_minor` from payer to payee. Above the currency's authorisation
    threshold the payment waits for a steward, with the amount reserved meanwhile."""
    check_amount(amount_minor, field="amount")
    payer_pk, payee_pk = _pk(payer, field="payer"), _pk(payee, field="payee")
    if payer_pk == payee_pk:
        raise ValidationFailed(_("the payer and the payee are the same account"), field="payee")
    memo, category = (memo or "")[:200], (category or "")[:64]
    request = {
        "payer": payer_pk,
        "payee": payee_pk,
        "amount": amount_minor,
        "memo": memo,
        "category": category,
        "kind": kind,
    }
    optimistic = True
    if fastpay.available(actor):
        outcome, fast = fastpay.pay(
            actor=actor,
            payer=payer_pk,
            payee=payee_pk,
            amount=amount_minor,
            memo=memo,
            category=category,
            kind=kind,
            scope="ledger.transfer",
            key=_key(actor, key),
            request=request,
            now=timezone.now(),
        )
        if fast is not None:
            if (
                isinstance(payer, Account)
                and payer.currency_id == fast.currency_id
                and Account.currency.is_cached(payer)  # type: ignore[attr-defined]
            ):
                fast.currency = payer.currency
            fast.replayed = False  # type: ignore[attr-defined]
            fast.warnings = []  # type: ignore[attr-defined]
            return fast
        optimistic = outcome != "replay"

    writes = Writes()

    def work() -> Transfer:
        locked = lock_accounts(
            [payer_pk, payee_pk], fields={payer_pk: "payer", payee_pk: "payee"}, transfer_ids=1
        )
        payer_l, payee_l = locked[payer_pk], locked[payee_pk]
        _require_debit(actor, payer_l)
        _check_pair(payer_l, payee_l)
        currency = payer_l.currency
        levy = levy_for(currency, payer_l, kind, amount_minor)
        network = lock_network(currency, locked) if levy else None
        now = timezone.now()
        if _needs_authorisation(actor, currency, amount_minor, kind):
            return _reserve(actor, payer_l, payee_l, amount_minor, levy, memo, category, kind, now)
        posted = post(
            legs=[
                Leg(
                    payer=payer_l,
                    payee=payee_l,
                    amount=amount_minor,
                    memo=memo,
                    category=category,
                    kind=kind,
                    levy=levy,
                )
            ],
            accounts=locked,
            actor=actor,
            now=now,
            levy_account={currency.pk: network} if network is not None else None,
            writes=writes,
            transfer_ids=locked.transfer_ids,
        )
        transfer = posted.transfers[0]
        writes.insert(
            audit.event(
                actor=actor,
                verb="ledger.transfer",
                obj=transfer,
                data={"amount": amount_minor, "payer": payer_pk, "payee": payee_pk},
            )
        )
        return transfer

    transfer = _idempotent(
        scope="ledger.transfer",
        actor=actor,
        key=key,
        request=request,
        model=Transfer,
        work=work,
        writes=writes,
        optimistic=optimistic,
    )
    if not hasattr(transfer, "warnings"):
        transfer.warnings = []  # type: ignore[attr-defined]
    return transfer


def _reserve(
    actor: Any,
    payer: Account,
    payee: Account,
    amount: int,
    levy: int,
    memo: str,
    category: str,
    kind: str,
    now: Any,
) -> Transfer:
    check_payer_room(payer, amount, actor=actor, levy=levy)
    check_payee_room(payee, amount, actor=actor)
    payer.reserved += amount + levy
    payer.save(update_fields=["reserved"])
    transfer = Transfer.objects.create(
        currency_id=payer.currency_id,
        payer=payer,
        payee=payee,
        amount_minor=amount,
        memo=memo,
        category=category,
        kind=kind,
        status=Transfer.Status.PENDING,
        reserved_minor=amount + levy,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    audit.record(
        actor=actor,
        verb="ledger.transfer.reserve",
        obj=transfer,
        data={"amount": amount, "reserved": amount + levy},
    )
    transfer.warnings = [  # type: ignore[attr-defined]
        _(
            "this payment is above %(threshold)s and waits for a steward's approval; "
            "the amount is held on your account meanwhile"
        )
        % {"threshold": payer.currency.format(payer.currency.authorisation_threshold or 0)}
    ]
    return transfer


def _pending(transfer: Transfer | int) -> Transfer:
    pk = transfer.pk if isinstance(transfer, Transfer) else transfer
    found = Transfer.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no transfer %(id)s") % {"id": pk})
    return found


@transaction.atomic
def transfer_approve(*, actor: Any, transfer: Transfer | int, reason: str = "") -> Transfer:
    """A steward approves a payment awaiting authorisation: the hold becomes a payment.
    Approving twice returns the same transfer."""
    _require_steward(actor)
    pending = _pending(transfer)
    if pending.status == Transfer.Status.COMPLETED:
        return pending
    if pending.status != Transfer.Status.PENDING:
        raise Conflict(_("this payment was already rejected"))
    levy = pending.reserved_minor - pending.amount_minor
    locked = lock_accounts([pending.payer_id, pending.payee_id])
    network = lock_network(pending.currency, locked) if levy else None
    payer = locked[pending.payer_id]
    payer.reserved -= pending.reserved_minor
    pending.decided_by = actor if getattr(actor, "pk", None) else None
    pending.decision_reason = reason
    Transfer.objects.filter(pk=pending.pk).update(decision_reason=reason)
    post(
        legs=[
            Leg(
                payer=payer,
                payee=locked[pending.payee_id],
                amount=pending.amount_minor,
                memo=pending.memo,
                category=pending.category,
                kind=pending.kind,
                existing=pending,
                levy=levy,
            )
        ],
        accounts=locked,
        actor=actor,
        now=timezone.now(),
        levy_account={pending.currency_id: network} if network is not None else None,
    )
    audit.record(actor=actor, verb="ledger.transfer.approve", obj=pending, reason=reason)
    return pending


@transaction.atomic
def transfer_reject(*, actor: Any, transfer: Transfer | int, reason: str) -> Transfer:
    """A steward refuses a payment awaiting authorisation: the hold is released."""
    _require_steward(actor)
    pending = _pending(transfer)
    if pending.status == Transfer.Status.REJECTED:
        return pending
    if pending.status != Transfer.Status.PENDING:
        raise Conflict(_("this payment was already approved"))
    payer = lock_accounts([pending.payer_id])[pending.payer_id]
    payer.reserved -= pending.reserved_minor
    payer.save(update_fields=["reserved"])
    pending.status = Transfer.Status.REJECTED
    pending.reserved_minor = 0
    pending.decided_by = actor if getattr(actor, "pk", None) else None
    pending.decision_reason = reason
    pending.save(update_fields=["status", "reserved_minor", "decided_by", "decision_reason"])
    audit.record(actor=actor, verb="ledger.transfer.reject", obj=pending, reason=reason)
    return pending


def transfer_reverse(
    *, actor: Any, transfer: Transfer | int, reason: str, key: str | None
) -> Transfer:
    """Undo a completed payment with a new transfer the other way (and its levy with it).
    A steward may reverse any payment; a payee may refund one they received."""
    original = (
        Transfer.objects.select_related("payee", "currency")
        .filter(pk=transfer.pk if isinstance(transfer, Transfer) else transfer)
        .first()
    )
    if original is None:
        raise NotFound(_("there is no such transfer"))
    if not (
        actor is None or is_steward(actor) or original.payee.owner_id == getattr(actor, "pk", 0)
    ):
        raise PermissionDenied(_("only a steward or the payee may reverse a payment"))
    if not reason.strip():
        raise ValidationFailed(_("say why the payment is reversed"), field="reason")
    request = {"transfer": original.pk, "reason": reason}

    def work() -> Transfer:
        if original.status != Transfer.Status.COMPLETED:
            raise ValidationFailed(_("only completed payments can be reversed"))
        if original.kind in (Transfer.Kind.REVERSAL, Transfer.Kind.LEVY):
            raise ValidationFailed(_("reverse the original payment instead"))
        if Transfer.objects.filter(reverses=original).exists():
            raise Conflict(_("this payment was already reversed"))
        levies = list(original.levies.filter(status=Transfer.Status.COMPLETED))
        pks = [original.payer_id, original.payee_id, *(lv.payee_id for lv in levies)]
        locked = lock_accounts(pks)
        memo = (_("reversal of #%(id)s: %(reason)s") % {"id": original.pk, "reason": reason})[:200]
        legs = [
            Leg(
                payer=locked[original.payee_id],
                payee=locked[original.payer_id],
                amount=original.amount_minor,
                memo=memo,
                category=original.category,
                kind=Transfer.Kind.REVERSAL,
                reverses=original,
            )
        ]
        legs += [
            Leg(
                payer=locked[lv.payee_id],
                payee=locked[lv.payer_id],
                amount=lv.amount_minor,
                memo=memo,
                category="levy",
                kind=Transfer.Kind.REVERSAL,
                reverses=lv,
            )
            for lv in levies
        ]
        posted = post(legs=legs, accounts=locked, actor=actor, now=timezone.now())
        reversal = posted.transfers[0]
        audit.record(
            actor=actor,
            verb="ledger.transfer.reverse",
            obj=reversal,
            reason=reason,
            data={"reverses": original.pk},
        )
        return reversal

    return _idempotent(
        scope="ledger.reverse", actor=actor, key=key, request=request, model=Transfer, work=work
    )


def bulk_transfer(**kwargs: Any) -> Any:
    """All-or-nothing one-to-many or many-to-one payment: `batches.bulk_transfer`, here too
    so that other apps find every ledger service in this module (imported late: `batches`
    builds on this module)."""
    from solidaria.ledger import batches

    return batches.bulk_transfer(**kwargs)
