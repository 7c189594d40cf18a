"""Who issues credit: currency stewards, each currency's credit policy, and organisation
accounts opened through requests a currency steward decides.

Every credit line above zero and every starting grant comes from one of two places:
a currency's credit policy (`Currency.credit_policy`, set by a steward of that currency
and versioned) or a steward's decision on one account (`services.account_limits_set`).
Members and applicants can open their own member account (members only) and ask for an
organisation account; neither raises anyone's credit unless a steward's policy says so.

Every write here is one transaction with an audit event, like `services`, which
re-exports these names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM, is_member, is_steward, require
from solidaria.ledger.models import (
    Account,
    AccountRequest,
    CreditPolicy,
    Currency,
    CurrencySteward,
)
from solidaria.notifications import events

# --- who is who ----------------------------------------------------------------------


def is_operator(user: Any, organisation: Any) -> bool:
    """Whether `user` runs `organisation` for the ledger: may ask for its accounts and
    grant rights on them. A network steward, or a confirmed operator of the organisation
    (`directory.operators`: claimed by the person, confirmed by a steward)."""
    from solidaria.directory.operators import is_operator as runs

    if organisation is None or user is None:
        return False
    if is_steward(user):
        return True
    return runs(user, organisation)


def operated_organisations(user: Any) -> Any:
    """The confirmed organisations `user` may ask accounts for, as the pages list them:
    the ones they are a confirmed operator of (a network steward may also name any other
    organisation through the API)."""
    from solidaria.directory.operators import organisations_run_by

    return organisations_run_by(user)


def _currency_of(obj: Any) -> Currency | None:
    if isinstance(obj, Currency):
        return obj
    if isinstance(obj, Account | AccountRequest):
        return obj.currency
    return None


def is_currency_steward(actor: Any, obj: Any) -> bool:
    """A steward of the currency `obj` is or belongs to (a Currency, an Account or an
    AccountRequest); only an admitted member holds the role."""
    currency = _currency_of(obj)
    if currency is None or actor is SYSTEM or not is_member(actor):
        return False
    return CurrencySteward.objects.filter(currency=currency, user_id=actor.pk).exists()


# --- names ---------------------------------------------------------------------------


def name_key(text: str) -> str:
    """A name folded for comparison: no case, no accents, no spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.casefold() if c.isalnum())


def check_organisation_name(organisation: Any, *, operator: Any) -> None:
    """Refuse an organisation account whose name would pass for another holder's: another
    organisation of the directory with the same name (confirmed, or holding an account),
    or a person's user name (other than the operator's own)."""
    from solidaria.accounts.models import User
    from solidaria.directory.importers.cleaning import name_key as directory_key
    from solidaria.directory.models import Organisation

    key = name_key(organisation.name)
    if not key:
        raise ValidationFailed(_("This organisation has no name to give its account."))
    twin = (
        Organisation.objects.exclude(pk=organisation.pk)
        .filter(name_key=directory_key(organisation.name), status=Organisation.Status.CONFIRMED)
        .first()
    )
    if twin is None:
        holders = Organisation.objects.exclude(pk=organisation.pk).filter(
            ledger_accounts__isnull=False
        )
        twin = next((o for o in holders.distinct() if name_key(o.name) == key), None)
    if twin is not None:
        raise ValidationFailed(
            _(
                "Another organisation in the directory is called %(name)s, so an account "
                "with this name could be mistaken for theirs."
            )
            % {"name": twin.name},
            field="organisation",
        )
    own = getattr(operator, "pk", None)
    for username in User.objects.exclude(pk=own).values_list("username", flat=True).iterator():
        if name_key(username) == key:
            raise ValidationFailed(
                _(
                    "A member's user name is %(name)s, so an account with this name could be "
                    "mistaken for theirs."
                )
                % {"name": username},
                field="organisation",
            )


def check_member_name(owner: Any) -> None:
    """Refuse a member account whose holder's user name is an organisation account's name."""
    key = name_key(owner.username)
    names = Account.objects.filter(kind=Account.Kind.ORGANISATION, organisation__isnull=False)
    for name in names.values_list("name", flat=True).distinct():
        if name_key(name) == key:
            raise ValidationFailed(
                _(
                    "Your user name is the name of an organisation's account; ask a steward to "
                    "change it before you open an account."
                ),
                field="owner",
            )


# --- the terms a new account opens with ----------------------------------------------


@dataclass(frozen=True)
class Terms:
    """A new account's credit line and starting grant, and what gave them (the audit
    event of the opening records `basis`)."""

    credit_limit: int
    grant: int
    basis: dict[str, Any]


def member_terms(currency: Currency, owner: Any) -> Terms:
    """What a new member account gets under the currency's credit policy."""
    basis = {"policy": currency.credit_policy, "policy_version": currency.credit_policy_version}
    if currency.credit_policy == CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT and is_member(owner):
        return Terms(currency.default_credit_limit, currency.starting_grant, basis)
    return Terms(0, 0, basis)


def policy_snapshot(currency: Currency) -> dict[str, Any]:
    return {
        "credit_policy": currency.credit_policy,
        "default_credit_limit": currency.default_credit_limit,
        "starting_grant": currency.starting_grant,
        "version": currency.credit_policy_version,
    }


POLICY_FIELDS = ("credit_policy", "default_credit_limit", "starting_grant")


def bump_policy(currency: Currency, before: dict[str, Any]) -> bool:
    """Raise the policy version if the policy or what it hands out changed."""
    if all(before[f] == getattr(currency, f) for f in POLICY_FIELDS):
        return False
    currency.credit_policy_version += 1
    currency.credit_policy_since = timezone.now()
    return True


# --- stewards and the policy ---------------------------------------------------------


def _lock_currency(currency: Currency | int) -> Currency:
    pk = currency.pk if isinstance(currency, Currency) else currency
    found = Currency.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("There is no such currency."))
    return found


@transaction.atomic
def currency_steward_add(
    *, actor: Any, currency: Currency, user: Any, reason: str = ""
) -> CurrencySteward:
    """A network steward makes an admitted member a steward of one currency (saying why,
    from the web interface)."""
    require(actor, "ledger.currency.stewards.set", currency)
    currency = _lock_currency(currency)
    if not is_member(user) or user is SYSTEM:
        raise ValidationFailed(_("Only an admitted member can steward a currency."), field="user")
    found = CurrencySteward.objects.filter(currency=currency, user=user).first()
    if found is not None:
        return found
    role = CurrencySteward.objects.create(
        currency=currency,
        user=user,
        granted_by=actor if getattr(actor, "pk", None) else None,
        granted_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        verb="ledger.currency.steward.add",
        obj=currency,
        reason=reason,
        data={"user": user.pk, "username": user.username},
    )
    return role


@transaction.atomic
def currency_steward_remove(*, actor: Any, currency: Currency, user: Any, reason: str) -> None:
    """A network steward withdraws a currency steward's role, saying why."""
    require(actor, "ledger.currency.stewards.set", currency)
    if not reason.strip():
        raise ValidationFailed(_("Say why the role is withdrawn."), field="reason")
    currency = _lock_currency(currency)
    deleted, _rows = CurrencySteward.objects.filter(currency=currency, user=user).delete()
    if deleted:
        audit.record(
            actor=actor,
            verb="ledger.currency.steward.remove",
            obj=currency,
            reason=reason,
            data={"user": user.pk, "username": user.username},
        )


@transaction.atomic
def currency_credit_policy_set(
    *, actor: Any, currency: Currency, policy: str, reason: str
) -> Currency:
    """A steward of the currency chooses how new accounts get credit; the new version
    takes effect now (accounts opened before keep what they had)."""
    require(actor, "ledger.currency.steward", currency)
    if policy not in CreditPolicy.values:
        raise ValidationFailed(_("Choose one of the credit policies."), field="credit_policy")
    if not reason.strip():
        raise ValidationFailed(_("Say why the credit policy changes."), field="reason")
    currency = _lock_currency(currency)
    before = policy_snapshot(currency)
    currency.credit_policy = policy
    if bump_policy(currency, before):
        currency.save(
            update_fields=["credit_policy", "credit_policy_version", "credit_policy_since"]
        )
        audit.record(
            actor=actor,
            verb="ledger.currency.policy.set",
            obj=currency,
            reason=reason,
            data={"before": before, "after": policy_snapshot(currency)},
        )
    return currency


# --- organisation accounts: requested, then decided ----------------------------------


def _organisation(ref: Any) -> Any:
    from solidaria.directory.models import Organisation

    pk = getattr(ref, "pk", ref)
    found = Organisation.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if found is None:
        raise NotFound(_("There is no such organisation."), field="organisation")
    return found


@transaction.atomic
def account_request_create(
    *, actor: Any, currency: Currency, organisation: Any, note: str = ""
) -> AccountRequest:
    """An operator of an organisation asks for its account in a currency. Asking again
    while a request is open returns that request."""
    from solidaria.directory.models import Organisation

    org = _organisation(organisation)
    require(actor, "ledger.account.request", org)
    if actor is SYSTEM:
        raise ValidationFailed(_("A person asks for an organisation's account."))
    if not currency.is_active:
        raise ValidationFailed(_("%(code)s is closed.") % {"code": currency.code}, field="currency")
    if org.status != Organisation.Status.CONFIRMED:
        raise ValidationFailed(
            _("Only organisations confirmed in the directory can hold an account."),
            field="organisation",
        )
    if Account.objects.filter(currency=currency, organisation=org).exists():
        raise Conflict(
            _("%(name)s already has a %(code)s account.")
            % {"name": org.name, "code": currency.code},
            field="organisation",
        )
    open_request = AccountRequest.objects.filter(
        currency=currency, organisation=org, status=AccountRequest.Status.REQUESTED
    ).first()
    if open_request is not None:
        return open_request
    check_organisation_name(org, operator=actor)
    request = AccountRequest.objects.create(
        currency=currency,
        organisation=org,
        requested_by=actor,
        requested_at=timezone.now(),
        note=(note or "").strip()[:500],
    )
    audit.record(
        actor=actor,
        verb="ledger.account_request.create",
        obj=request,
        data={"currency": currency.code, "organisation": org.pk},
    )
    events.account_request_received(actor=actor, request=request)
    return request


def _lock_request(request: AccountRequest | int) -> AccountRequest:
    pk = request.pk if isinstance(request, AccountRequest) else request
    found = (
        AccountRequest.objects.select_for_update()
        .select_related("currency", "organisation")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such account request."))
    return found


@transaction.atomic
def account_request_approve(
    *, actor: Any, request: AccountRequest | int, reason: str = ""
) -> AccountRequest:
    """A steward of the currency approves: the organisation's account opens at credit
    limit 0 with no grant (its line is a later decision, `account_limits_set`).
    Approving twice returns the same request."""
    found = _lock_request(request)
    require(actor, "ledger.currency.steward", found)
    if found.status == AccountRequest.Status.APPROVED:
        return found
    if found.status != AccountRequest.Status.REQUESTED:
        raise Conflict(_("This request was already declined."))
    currency, org = found.currency, found.organisation
    if not currency.is_active:
        raise ValidationFailed(_("%(code)s is closed.") % {"code": currency.code}, field="currency")
    check_organisation_name(org, operator=found.requested_by)
    if Account.objects.filter(currency=currency, organisation=org).exists():
        raise Conflict(
            _("%(name)s already has a %(code)s account.")
            % {"name": org.name, "code": currency.code}
        )
    account = Account.objects.create(
        currency=currency,
        kind=Account.Kind.ORGANISATION,
        owner=found.requested_by,
        organisation=org,
        name=org.name[:100],
        credit_limit=0,
        upper_limit=currency.default_upper_limit,
    )
    from solidaria.ledger.operators import grant_requester

    grant_requester(account, found.requested_by, actor)
    found.status = AccountRequest.Status.APPROVED
    found.account = account
    found.decided_by = actor if getattr(actor, "pk", None) else None
    found.decided_at = timezone.now()
    found.decision_reason = reason
    found.save(update_fields=["status", "account", "decided_by", "decided_at", "decision_reason"])
    audit.record(
        actor=actor,
        verb="ledger.account.open",
        obj=account,
        data={
            "kind": account.kind,
            "credit_limit": 0,
            "grant": 0,
            "basis": {"request": found.pk, "approved_by": getattr(actor, "pk", None)},
        },
    )
    audit.record(
        actor=actor,
        verb="ledger.account_request.approve",
        obj=found,
        reason=reason,
        data={"account": account.pk},
    )
    events.account_request_decided(actor=actor, request=found)
    return found


@transaction.atomic
def account_request_decline(
    *, actor: Any, request: AccountRequest | int, reason: str
) -> AccountRequest:
    """A steward of the currency declines, saying why; nothing else changes."""
    found = _lock_request(request)
    require(actor, "ledger.currency.steward", found)
    if not reason.strip():
        raise ValidationFailed(_("Say why the request is declined."), field="reason")
    if found.status == AccountRequest.Status.DECLINED:
        return found
    if found.status != AccountRequest.Status.REQUESTED:
        raise Conflict(_("This request was already approved."))
    found.status = AccountRequest.Status.DECLINED
    found.decided_by = actor if getattr(actor, "pk", None) else None
    found.decided_at = timezone.now()
    found.decision_reason = reason
    found.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(actor=actor, verb="ledger.account_request.decline", obj=found, reason=reason)
    events.account_request_decided(actor=actor, request=found)
    return found


def pending_requests(actor: Any) -> Any:
    """The open account requests `actor` may decide (all of them for network stewards)."""
    found = AccountRequest.objects.filter(status=AccountRequest.Status.REQUESTED).select_related(
        "currency", "organisation", "requested_by"
    )
    if is_steward(actor):
        return found.order_by("requested_at", "pk")
    if not is_member(actor) or actor is SYSTEM:
        return found.none()
    return found.filter(currency__steward_roles__user_id=actor.pk).order_by("requested_at", "pk")


def requests_of(actor: Any) -> Any:
    """The account requests `actor` made, newest first."""
    if actor is SYSTEM or not getattr(actor, "pk", None):
        return AccountRequest.objects.none()
    return AccountRequest.objects.filter(requested_by_id=actor.pk).select_related(
        "currency", "organisation"
    )


def stewarded_currencies(actor: Any) -> Any:
    if is_steward(actor):
        return Currency.objects.all()
    if not is_member(actor) or actor is SYSTEM:
        return Currency.objects.none()
    return Currency.objects.filter(steward_roles__user_id=actor.pk)
