"""Reads shared by pages, API and CLI, and the resolution of what a member typed
(a username, a currency code, '12.50') into accounts and minor units."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from solidaria.accounts.models import User
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.core.permissions import is_member, is_steward
from solidaria.ledger.models import Account, Currency, Entry, Listing, PaymentRequest, Transfer
from solidaria.ledger.rules import parse_amount


def can_view_account(user: Any, account: Account) -> bool:
    if is_steward(user):
        return True
    if account.kind == Account.Kind.ORGANISATION:
        from solidaria.ledger.operators import may_view

        return may_view(user, account)
    return is_member(user) and account.owner_id == user.pk


def visible_account(user: Any, pk: int) -> Account:
    """The account, if this user may see it; a stranger gets 404 (existence is private)."""
    account = Account.objects.select_related("currency", "owner").filter(pk=pk).first()
    if account is None or not can_view_account(user, account):
        raise NotFound(_("there is no account %(id)s") % {"id": pk})
    return account


def accounts_of(user: Any, *, right: str = "can_view") -> QuerySet[Account]:
    """The member accounts `user` holds and the organisation accounts they hold `right`
    on (`can_view`, `can_pay`, `can_request`: see `ledger.operators`)."""
    from solidaria.ledger.operators import operated_accounts

    operated = operated_accounts(user, right=right).values("pk")
    return (
        Account.objects.select_related("currency", "organisation")
        .filter(
            Q(owner=user, is_active=True) & ~Q(kind=Account.Kind.ORGANISATION) | Q(pk__in=operated)
        )
        .order_by("currency__code", "kind", "pk")
    )


def currency_by_code(code: str, *, field: str = "currency") -> Currency:
    found = Currency.objects.filter(code=code.strip().upper()).first()
    if found is None:
        raise NotFound(_("there is no currency %(code)s") % {"code": code}, field=field)
    return found


def member_account(user: Any, currency: Currency, *, field: str) -> Account:
    account = Account.objects.filter(
        currency=currency, owner=user, kind=Account.Kind.MEMBER, is_active=True
    ).first()
    if account is None:
        raise NotFound(
            _("%(name)s has no %(code)s account") % {"name": user.username, "code": currency.code},
            field=field,
        )
    return account


def resolve_own_account(
    actor: Any, *, account_id: int | None, currency_code: str | None, field: str
) -> Account:
    """The actor's account: the one named, else their member account in the currency."""
    currency = currency_by_code(currency_code) if currency_code else None
    if account_id is not None:
        account = Account.objects.select_related("currency").filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("there is no account %(id)s") % {"id": account_id}, field=field)
    elif currency is not None:
        account = member_account(actor, currency, field=field)
    else:
        raise ValidationFailed(_("say which currency"), field="currency")
    if currency is not None and account.currency_id != currency.pk:
        raise ValidationFailed(
            _("account %(id)s holds %(theirs)s, not %(ours)s")
            % {"id": account.pk, "theirs": account.currency.code, "ours": currency.code},
            field="currency",
        )
    return account


def resolve_other_account(
    *, account_id: int | None, username: str | None, currency: Currency, field: str
) -> Account:
    """The counterparty: an account id, or a member's account in this currency by username."""
    if account_id is not None:
        account = Account.objects.select_related("currency").filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("there is no account %(id)s") % {"id": account_id}, field=field)
        return account
    if username:
        user = User.objects.filter(username=username.strip(), is_active=True).first()
        if user is None:
            raise NotFound(_("there is no member %(name)s") % {"name": username}, field=field)
        return member_account(user, currency, field=field)
    raise ValidationFailed(_("say who the other party is"), field=field)


def resolve_amount(
    currency: Currency, *, amount: str | None, amount_minor: int | None, field: str = "amount"
) -> int:
    if amount is not None and amount_minor is not None:
        raise ValidationFailed(_("give amount or amount_minor, not both"), field=field)
    if amount is None and amount_minor is None:
        raise ValidationFailed(_("say how much"), field=field)
    return parse_amount(currency, amount if amount is not None else amount_minor, field=field)  # type: ignore[arg-type]


def statement(
    account: Account,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    category: str = "",
    direction: str = "",
    text: str = "",
) -> QuerySet[Entry]:
    """An account's entries, newest first, with the transfer and both parties."""
    entries = (
        Entry.objects.filter(account=account)
        .select_related("transfer", "transfer__payer", "transfer__payee", "transfer__created_by")
        .order_by("-seq")
    )
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    if category:
        entries = entries.filter(transfer__category=category)
    if direction == "in":
        entries = entries.filter(amount__gt=0)
    elif direction == "out":
        entries = entries.filter(amount__lt=0)
    if text:
        entries = entries.filter(
            Q(transfer__memo__icontains=text)
            | Q(transfer__payer__name__icontains=text)
            | Q(transfer__payee__name__icontains=text)
        )
    return entries


def pending_authorisations() -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(status=Transfer.Status.PENDING)
        .exclude(kind=Transfer.Kind.REMOTE)  # held by the networks, not for a steward
        .select_related("currency", "payer", "payee", "created_by")
        .order_by("created_at", "pk")
    )


def _acting_accounts(user: Any) -> Any:
    """Ids of the accounts `user` acts for: their member accounts and the organisation
    accounts they hold a right on."""
    return accounts_of(user).values("pk")


def requests_to_pay(user: Any) -> QuerySet[PaymentRequest]:
    return PaymentRequest.objects.filter(
        payer__in=_acting_accounts(user), status=PaymentRequest.Status.OPEN
    ).select_related("currency", "payer", "payee")


def requests_made(user: Any) -> QuerySet[PaymentRequest]:
    return PaymentRequest.objects.filter(payee__in=_acting_accounts(user)).select_related(
        "currency", "payer", "payee"
    )


def visible_request(user: Any, pk: int) -> PaymentRequest:
    req = PaymentRequest.objects.select_related("currency", "payer", "payee").filter(pk=pk).first()
    if req is None or not (
        is_steward(user) or can_view_account(user, req.payer) or can_view_account(user, req.payee)
    ):
        raise NotFound(_("there is no payment request %(id)s") % {"id": pk})
    return req


def visible_transfer(user: Any, pk: int) -> Transfer:
    transfer = (
        Transfer.objects.select_related("currency", "payer", "payee", "created_by")
        .filter(pk=pk)
        .first()
    )
    if transfer is None or not (
        is_steward(user)
        or can_view_account(user, transfer.payer)
        or can_view_account(user, transfer.payee)
    ):
        raise NotFound(_("there is no transfer %(id)s") % {"id": pk})
    return transfer


def listings_search(
    *,
    text: str = "",
    kind: str = "",
    category: str = "",
    place: str = "",
    currency: str = "",
    item_type: str = "",
) -> QuerySet[Listing]:
    listings = Listing.objects.filter(is_active=True).select_related("owner", "currency")
    if text:
        listings = listings.filter(
            Q(title__icontains=text) | Q(description__icontains=text) | Q(category__icontains=text)
        )
    if kind:
        listings = listings.filter(kind=kind)
    if item_type:
        listings = listings.filter(item_type=item_type)
    if category:
        listings = listings.filter(category__iexact=category)
    if place:
        listings = listings.filter(place__icontains=place)
    if currency:
        listings = listings.filter(currency__code=currency.upper())
    return listings


def listing_categories() -> list[str]:
    return sorted(
        set(Listing.objects.filter(is_active=True).values_list("category", flat=True).distinct())
    )
