"""Every write to the ledger: one function per use case, one transaction each.

Value-moving functions take an idempotency `key` (a repeat returns the first result and
moves nothing; the same key for a different request is a 409), lock the accounts they
touch in primary-key order, write transfers, journal entries and cached balances in the
same transaction, and record an audit event. Pages, API, CLI and demo all call these.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import SYSTEM, is_member, is_steward, require
from solidaria.ledger import credit, fastpay
from solidaria.ledger.credit import (
    bump_policy,
    check_member_name,
    member_terms,
    policy_snapshot,
)
from solidaria.ledger.journal import Leg, check_payee_room, check_payer_room, post
from solidaria.ledger.locks import NETWORK_ACCOUNT as NETWORK_ACCOUNT  # public: the CLI
from solidaria.ledger.locks import lock_accounts, lock_network, network_account
from solidaria.ledger.locks import system_account as system_account  # public: other apps
from solidaria.ledger.models import Account, CreditPolicy, Currency, Transfer
from solidaria.ledger.rules import (
    account_pk,
    check_amount,
    check_pair,
    levy_for,
    namespaced_key,
    needs_authorisation,
    require_debit,
    require_steward,
    run_once,
)
from solidaria.ledger.rules import parse_amount as parse_amount  # public: pages, API, CLI
from solidaria.ledger.writes import Writes
from solidaria.notifications import events

# Who issues credit (stewards, policies, organisation account requests): `credit`,
# public here too so that pages, API, admin and other apps find every ledger service here.
currency_steward_add = credit.currency_steward_add
currency_steward_remove = credit.currency_steward_remove
currency_credit_policy_set = credit.currency_credit_policy_set
account_request_create = credit.account_request_create
account_request_approve = credit.account_request_approve
account_request_decline = credit.account_request_decline

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


@transaction.atomic
def currency_create(
    *,
    actor: Any,
    code: str,
    name: str,
    credit_policy: str = CreditPolicy.STEWARD_DECIDES,
    **settings: Any,
) -> Currency:
    """A network steward creates a currency. Its credit policy says whether admitted
    members' new accounts get the default credit line and the starting grant; by default
    they do not (`steward_decides`): every line is then a currency steward's decision."""
    require(actor, "ledger.currency.create")
    code = code.strip().upper()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed(_("a currency code is letters and digits"), field="code")
    if Currency.objects.filter(code=code).exists():
        raise Conflict(_("a currency %(code)s already exists") % {"code": code}, field="code")
    unknown = set(settings) - set(CURRENCY_FIELDS)
    if unknown:
        raise ValidationFailed(_("unknown setting %(name)s") % {"name": sorted(unknown)[0]})
    if credit_policy not in CreditPolicy.values:
        raise ValidationFailed(_("Choose one of the credit policies."), field="credit_policy")
    currency = Currency(
        code=code,
        name=name,
        credit_policy=credit_policy,
        credit_policy_since=timezone.now(),
        **settings,
    )
    _validate_currency(currency)
    currency.save()
    network_account(currency)
    audit.record(
        actor=actor,
        verb="ledger.currency.create",
        obj=currency,
        data={"code": code, "policy": policy_snapshot(currency)},
    )
    return currency


def upper_limit_problem(upper: int | None, grant: int | None) -> str | None:
    """A currency's invariant: a default upper limit is >= 0 and >= the starting grant
    (else no account could be opened). The API checks it at the edge too."""
    if upper is None:
        return None
    if upper < 0:
        return str(_("The default upper limit cannot be negative."))
    if grant is not None and upper < grant:
        return str(_("The default upper limit cannot be below the starting grant."))
    return None


def _validate_currency(currency: Currency) -> None:
    problem = upper_limit_problem(currency.default_upper_limit, currency.starting_grant)
    if problem:
        raise ValidationFailed(problem, field="default_upper_limit")
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
    """A steward of the currency changes its settings. Defaults apply to accounts opened
    afterwards; a change of the default credit limit or the starting grant is a new
    version of the credit policy."""
    require(actor, "ledger.currency.steward", currency)
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
    policy_before = policy_snapshot(currency)
    for k, v in changes.items():
        setattr(currency, k, v)
    _validate_currency(currency)
    bump_policy(currency, policy_before)
    currency.save()
    audit.record(
        actor=actor,
        verb="ledger.currency.update",
        obj=currency,
        reason=reason,
        data={"before": before, "after": changes, "policy": policy_snapshot(currency)},
    )
    return currency


def account_open(
    *,
    actor: Any,
    currency: Currency,
    owner: Any = None,
    kind: str = Account.Kind.MEMBER,
) -> Account:
    """Open a member account (an admitted member joins a currency; a steward or the
    platform may open one for a member). It is named after its holder and unique per
    currency: opening it again returns it. Its credit line and starting grant follow the
    currency's credit policy, and its audit event says which version gave them.

    Organisation accounts are not opened here: their operators ask for one
    (`account_request_create`) and a steward of the currency decides."""
    require(actor, "ledger.account.open", currency)
    owner = owner or actor
    if kind == Account.Kind.SYSTEM:
        raise ValidationFailed(_("system accounts are made by the network itself"), field="kind")
    if kind == Account.Kind.ORGANISATION:
        raise ValidationFailed(
            _(
                "An organisation account is asked for by the people who run the organisation "
                "and approved by a steward of the currency."
            ),
            field="kind",
        )
    if kind != Account.Kind.MEMBER:
        raise ValidationFailed(_("Choose a kind of account."), field="kind")
    if owner is SYSTEM or owner.pk != getattr(actor, "pk", None):
        require_steward(actor)
    if owner is SYSTEM or not is_member_person(owner):
        raise PermissionDenied(
            _("Only admitted members of the network may hold an account."), field="owner"
        )
    if not currency.is_active:
        raise ValidationFailed(_("%(code)s is closed") % {"code": currency.code}, field="currency")
    with transaction.atomic():
        existing = Account.objects.filter(currency=currency, owner=owner, kind=kind).first()
        if existing is not None:
            return existing
        currency = Currency.objects.select_for_update().get(pk=currency.pk)
        check_member_name(owner)
        terms = member_terms(currency, owner)
        account = Account.objects.create(
            currency=currency,
            owner=owner,
            kind=kind,
            name=owner.username,
            credit_limit=terms.credit_limit,
            upper_limit=currency.default_upper_limit,
        )
        audit.record(
            actor=actor,
            verb="ledger.account.open",
            obj=account,
            data={
                "kind": kind,
                "credit_limit": terms.credit_limit,
                "grant": terms.grant,
                "basis": terms.basis,
            },
        )
        if terms.grant > 0:
            source = network_account(currency)
            locked = lock_accounts([source.pk, account.pk])
            post(
                legs=[
                    Leg(
                        payer=locked[source.pk],
                        payee=locked[account.pk],
                        amount=terms.grant,
                        memo=_("starting grant"),
                        category="grant",
                        kind=Transfer.Kind.GRANT,
                    )
                ],
                accounts=locked,
                actor=SYSTEM,
                now=timezone.now(),
            )
            account.refresh_from_db()
    return account


def is_member_person(user: Any) -> bool:
    """An admitted member (a person, not the platform)."""
    return user is not SYSTEM and is_member(user)


@transaction.atomic
def account_limits_set(
    *,
    actor: Any,
    account: Account,
    credit_limit: int | None,
    upper_limit: int | None,
    reason: str,
) -> Account:
    """A steward of the account's currency changes its limits: the only way a credit line
    is set by hand. The audit journal keeps who, why, before and after."""
    account = Account.objects.select_related("currency").get(pk=account.pk)
    require(actor, "ledger.currency.steward", account)
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
    events.limits_changed(actor=actor, account=account)
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
    payer_pk, payee_pk = account_pk(payer, field="payer"), account_pk(payee, field="payee")
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
            key=namespaced_key(actor, key),
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
            events.payment_made_later(actor=actor, transfer=fast)  # a task, after commit
            return fast
        optimistic = outcome != "replay"

    writes = Writes()

    def work() -> Transfer:
        locked = lock_accounts(
            [payer_pk, payee_pk], fields={payer_pk: "payer", payee_pk: "payee"}, transfer_ids=1
        )
        payer_l, payee_l = locked[payer_pk], locked[payee_pk]
        require_debit(actor, payer_l, amount=amount_minor)
        check_pair(payer_l, payee_l)
        currency = payer_l.currency
        levy = levy_for(currency, payer_l, kind, amount_minor)
        network = lock_network(currency, locked) if levy else None
        now = timezone.now()
        if needs_authorisation(actor, currency, amount_minor, kind):
            held = _reserve(actor, payer_l, payee_l, amount_minor, levy, memo, category, kind, now)
            events.payment_made(actor=actor, transfer=held, payer=payer_l, payee=payee_l)
            return held
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
        events.payment_made(actor=actor, transfer=transfer, payer=payer_l, payee=payee_l)
        return transfer

    transfer = run_once(
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
    if found.kind == Transfer.Kind.REMOTE:
        raise Conflict(_("A payment between networks is settled by the networks, not a steward."))
    return found


@transaction.atomic
def transfer_approve(*, actor: Any, transfer: Transfer | int, reason: str = "") -> Transfer:
    """A steward approves a payment awaiting authorisation: the hold becomes a payment.
    Approving twice returns the same transfer."""
    require_steward(actor)
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
    _request_paid_on_approval(pending)
    events.transfer_decided(actor=actor, transfer=pending)
    return pending


def _request_paid_on_approval(transfer: Transfer) -> None:
    """A held payment of a payment request completes on approval: send the request's
    `request_paid` now, in this transaction, as `request_accept` does for one paid at once
    (the co-op share register listens)."""
    if transfer.kind != Transfer.Kind.REQUEST:
        return
    from solidaria.ledger.models import PaymentRequest
    from solidaria.ledger.payment_requests import request_paid

    request = PaymentRequest.objects.filter(transfer=transfer).first()
    if request is not None:
        request_paid.send(sender=PaymentRequest, request=request, transfer=transfer)


@transaction.atomic
def transfer_reject(*, actor: Any, transfer: Transfer | int, reason: str) -> Transfer:
    """A steward refuses a payment awaiting authorisation: the hold is released."""
    require_steward(actor)
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
    events.transfer_decided(actor=actor, transfer=pending)
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
    if not (is_steward(actor) or original.payee.owner_id == getattr(actor, "pk", 0)):
        raise PermissionDenied(_("only a steward or the payee may reverse a payment"))
    if not reason.strip():
        raise ValidationFailed(_("say why the payment is reversed"), field="reason")
    request = {"transfer": original.pk, "reason": reason}

    def work() -> Transfer:
        if original.status != Transfer.Status.COMPLETED:
            raise ValidationFailed(_("only completed payments can be reversed"))
        if original.kind in (Transfer.Kind.REVERSAL, Transfer.Kind.LEVY):
            raise ValidationFailed(_("reverse the original payment instead"))
        if original.kind == Transfer.Kind.REMOTE:
            raise ValidationFailed(
                _(
                    "A payment between networks cannot be reversed here: the payee pays it "
                    "back through the networks."
                )
            )
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
        events.payment_reversed(actor=actor, reversal=reversal, original=original, reason=reason)
        return reversal

    return run_once(
        scope="ledger.reverse", actor=actor, key=key, request=request, model=Transfer, work=work
    )


def bulk_transfer(**kwargs: Any) -> Any:
    """All-or-nothing one-to-many or many-to-one payment: `batches.bulk_transfer`, here too
    so that other apps find every ledger service in this module (imported late: `batches`
    builds on this module)."""
    from solidaria.ledger import batches

    return batches.bulk_transfer(**kwargs)
