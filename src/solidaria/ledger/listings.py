"""Offers and wants: members post what they offer or need; a response becomes a payment
request between the two members' accounts, so the exchange is settled in the ledger."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import is_member, is_steward, require
from solidaria.ledger import payment_requests, services
from solidaria.ledger.models import Account, Currency, Listing, PaymentRequest


def get_listing(pk: int) -> Listing:
    found = Listing.objects.select_related("owner", "currency").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no offer or want %(id)s") % {"id": pk})
    return found


def _coordinate(value: Any, limit: int, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise ValidationFailed(_("not a coordinate"), field=field) from None
    if abs(number) > limit:
        raise ValidationFailed(_("not a coordinate"), field=field)
    return number


@transaction.atomic
def listing_create(
    *,
    actor: Any,
    kind: str,
    title: str,
    category: str,
    description: str,
    item_type: str = Listing.ItemType.SERVICE,
    place: str = "",
    latitude: Any = None,
    longitude: Any = None,
    price: str | int | None = None,
    currency: str | Currency | None = None,
    organisation: Any = None,
) -> Listing:
    """A member posts an offer or a want, for themselves or on behalf of an organisation
    they run (its page then lists it)."""
    if not is_member(actor):
        raise PermissionDenied(_("log in to post an offer or a want"))
    if organisation is not None:
        require(actor, "ledger.listing.for_organisation", organisation)
    if kind not in Listing.Kind.values:
        raise ValidationFailed(_("say whether this is an offer or a want"), field="kind")
    if item_type not in Listing.ItemType.values:
        raise ValidationFailed(_("say whether this is a good or a service"), field="item_type")
    for value, field in ((title, "title"), (category, "category"), (description, "description")):
        if not (value or "").strip():
            raise ValidationFailed(_("this field is needed"), field=field)
    cur: Currency | None = None
    if isinstance(currency, Currency):
        cur = currency
    elif currency:
        cur = Currency.objects.filter(code=str(currency).upper()).first()
        if cur is None:
            raise NotFound(
                _("there is no currency %(code)s") % {"code": currency}, field="currency"
            )
    price_minor = None
    if price not in (None, ""):
        if cur is None:
            raise ValidationFailed(_("a price needs a currency"), field="currency")
        price_minor = services.parse_amount(cur, price, field="price")  # type: ignore[arg-type]
    lat = _coordinate(latitude, 90, "latitude")
    lon = _coordinate(longitude, 180, "longitude")
    if (lat is None) != (lon is None):
        raise ValidationFailed(_("give both latitude and longitude, or neither"), field="latitude")
    listing = Listing.objects.create(
        owner=actor,
        kind=kind,
        item_type=item_type,
        title=title.strip()[:120],
        category=category.strip()[:64],
        description=description.strip(),
        place=(place or "").strip()[:120],
        latitude=lat,
        longitude=lon,
        price_minor=price_minor,
        currency=cur,
        organisation=organisation,
    )
    audit.record(actor=actor, verb="ledger.listing.create", obj=listing)
    return listing


@transaction.atomic
def listing_close(*, actor: Any, listing: Listing | int) -> Listing:
    found = get_listing(listing.pk if isinstance(listing, Listing) else listing)
    if not (is_steward(actor) or (is_member(actor) and found.owner_id == actor.pk)):
        raise PermissionDenied(_("only its author or a steward may close this"))
    if found.is_active:
        found.is_active = False
        found.save(update_fields=["is_active"])
        audit.record(actor=actor, verb="ledger.listing.close", obj=found)
    return found


def _account_of(user: Any, currency: Currency, *, field: str, yours: bool) -> Account:
    account = Account.objects.filter(
        currency=currency, owner=user, kind=Account.Kind.MEMBER, is_active=True
    ).first()
    if account is None:
        message = (
            _("you have no %(code)s account yet: join %(code)s first")
            if yours
            else _("%(name)s has no %(code)s account")
        )
        raise NotFound(message % {"code": currency.code, "name": user.username}, field=field)
    return account


@transaction.atomic
def listing_respond(
    *,
    actor: Any,
    listing: Listing | int,
    amount: str | None = None,
    amount_minor: int | None = None,
    currency_code: str | None = None,
    memo: str = "",
) -> PaymentRequest:
    """Respond to an offer (you will pay its author) or a want (its author will pay you):
    a payment request is made for the price, which the payer accepts once the exchange
    has happened."""
    if not is_member(actor):
        raise PermissionDenied(_("log in to respond"))
    found = get_listing(listing.pk if isinstance(listing, Listing) else listing)
    if not found.is_active:
        raise ValidationFailed(_("this offer or want is closed"))
    if found.owner_id == actor.pk:
        raise ValidationFailed(_("you cannot respond to your own offer or want"))
    currency = found.currency
    if currency_code:
        currency = Currency.objects.filter(code=currency_code.upper()).first()
        if currency is None:
            raise NotFound(
                _("there is no currency %(code)s") % {"code": currency_code}, field="currency"
            )
    if currency is None:
        raise ValidationFailed(_("say which currency"), field="currency")
    if amount is not None or amount_minor is not None:
        value = services.parse_amount(currency, amount if amount is not None else amount_minor)  # type: ignore[arg-type]
    elif found.price_minor is not None and currency == found.currency:
        value = found.price_minor
    else:
        raise ValidationFailed(_("say how much"), field="amount")
    mine = _account_of(actor, currency, field="currency", yours=True)
    theirs = _account_of(found.owner, currency, field="listing", yours=False)
    payer, payee = (mine, theirs) if found.kind == Listing.Kind.OFFER else (theirs, mine)
    return payment_requests.request_create(
        actor=actor,
        payee=payee,
        payer=payer,
        amount_minor=value,
        memo=(memo or found.title)[:200],
        category=found.category,
        listing=found,
    )
