"""REST API of the ledger: currencies, accounts, transfers, requests, offers and wants.

Amounts go in either as `amount` (a decimal string in the currency's units, "12.50")
or `amount_minor` (an integer); they come out as both. Every value-moving call needs an
idempotency key: the `Idempotency-Key` header or the `idempotency_key` body field.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router
from ninja.responses import Status

from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import allowed, is_steward
from solidaria.ledger import (
    batches,
    checkpoints,
    credit,
    listings,
    murmurations,
    payment_requests,
    queries,
    services,
)
from solidaria.ledger.journal import verify
from solidaria.ledger.models import (
    Account,
    AccountRequest,
    Currency,
    Listing,
    PaymentRequest,
    Transfer,
)
from solidaria.ledger.schemas import (
    AccountOpenIn,
    AccountOut,
    AccountRequestOut,
    BatchOut,
    BulkIn,
    CreditPolicyIn,
    CurrencyIn,
    CurrencyOut,
    CurrencyPatch,
    DecisionIn,
    LimitsIn,
    ListingFilter,
    ListingIn,
    ListingOut,
    RequestIn,
    RequestOut,
    RespondIn,
    ReverseIn,
    StatementFilter,
    StatementOut,
    TransferIn,
    TransferOut,
    VerifyOut,
)

router = Router(tags=["ledger"])
KEY_HEADER = Header(None, alias="Idempotency-Key", description="idempotency key of this write")


# --- converters ----------------------------------------------------------------------


def currency_out(c: Currency) -> dict[str, Any]:
    return {f: getattr(c, f) for f in CurrencyOut.model_fields}


def account_out(a: Account) -> dict[str, Any]:
    return {
        "id": a.pk,
        "currency": a.currency.code,
        "kind": a.kind,
        "name": a.name,
        "owner": a.owner.username if a.owner_id else None,
        "balance_minor": a.balance,
        "reserved_minor": a.reserved,
        "available_minor": a.available,
        "balance": a.currency.format(a.balance),
        "credit_limit": a.credit_limit,
        "upper_limit": a.upper_limit,
        "is_active": a.is_active,
        "organisation": a.organisation_id,
    }


def account_request_out(r: AccountRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "currency": r.currency.code,
        "organisation": r.organisation_id,
        "organisation_name": r.organisation.name,
        "requested_by": r.requested_by.username,
        "requested_at": r.requested_at,
        "note": r.note,
        "status": r.status,
        "decided_by": r.decided_by.username if r.decided_by_id else None,
        "decided_at": r.decided_at,
        "decision_reason": r.decision_reason,
        "account": r.account_id,
    }


def transfer_out(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.pk,
        "currency": t.currency.code,
        "payer": t.payer_id,
        "payee": t.payee_id,
        "amount_minor": t.amount_minor,
        "amount": t.currency.format(t.amount_minor),
        "memo": t.memo,
        "category": t.category,
        "kind": t.kind,
        "status": t.status,
        "reverses": t.reverses_id,
        "created_at": t.created_at,
        "replayed": bool(getattr(t, "replayed", False)),
        "warnings": list(getattr(t, "warnings", [])),
    }


def request_out(r: PaymentRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "currency": r.currency.code,
        "payer": r.payer_id,
        "payee": r.payee_id,
        "amount_minor": r.amount_minor,
        "amount": r.currency.format(r.amount_minor),
        "memo": r.memo,
        "category": r.category,
        "status": r.status,
        "transfer": r.transfer_id,
        "listing": r.listing_id,
    }


def listing_out(li: Listing) -> dict[str, Any]:
    return {
        "id": li.pk,
        "kind": li.kind,
        "item_type": li.item_type,
        "title": li.title,
        "category": li.category,
        "description": li.description,
        "place": li.place,
        "owner": li.owner.username,
        "price_minor": li.price_minor,
        "price": li.currency.format(li.price_minor)
        if li.currency and li.price_minor is not None
        else None,
        "currency": li.currency.code if li.currency else None,
        "is_active": li.is_active,
        "created_at": li.created_at,
    }


def _key(header: str | None, body: str | None) -> str | None:
    return header or body


# --- currencies ----------------------------------------------------------------------


@router.get("/currencies", response=list[CurrencyOut], summary="Currencies of the network")
def currency_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [currency_out(c) for c in Currency.objects.all()]


@router.post("/currencies", response={201: CurrencyOut}, summary="Create a currency (steward)")
def currency_create(request: HttpRequest, payload: CurrencyIn) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    currency = services.currency_create(
        actor=request.user, code=data.pop("code"), name=data.pop("name"), **data
    )
    return Status(201, currency_out(currency))


@router.patch("/currencies/{code}", response=CurrencyOut, summary="Change settings (steward)")
def currency_update(request: HttpRequest, code: str, payload: CurrencyPatch) -> dict[str, Any]:
    currency = queries.currency_by_code(code)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason")
    currency = services.currency_update(
        actor=request.user, currency=currency, reason=reason, **changes
    )
    return currency_out(currency)


# --- accounts ------------------------------------------------------------------------


@router.get("/accounts", response=list[AccountOut], summary="My accounts (stewards: ?all=1)")
def account_list(request: HttpRequest, all: bool = False) -> list[dict[str, Any]]:
    if all and is_steward(request.user):
        accounts = Account.objects.select_related("currency", "owner")
    else:
        accounts = queries.accounts_of(request.user).select_related("owner")
    return [account_out(a) for a in accounts]


@router.put(
    "/currencies/{code}/credit-policy",
    response=CurrencyOut,
    summary="Choose how new accounts get credit (steward of the currency)",
)
def currency_credit_policy(
    request: HttpRequest, code: str, payload: CreditPolicyIn
) -> dict[str, Any]:
    currency = services.currency_credit_policy_set(
        actor=request.user,
        currency=queries.currency_by_code(code),
        policy=payload.credit_policy,
        reason=payload.reason,
    )
    return currency_out(currency)


@router.post(
    "/accounts",
    response={201: AccountOut, 202: AccountRequestOut},
    summary="Join a currency (201), or ask for an organisation's account (202)",
)
def account_open(request: HttpRequest, payload: AccountOpenIn) -> Status[dict[str, Any]]:
    """A member account opens at once, on the currency's credit policy. An organisation
    account is asked for (`organisation`: its directory id); the answer is the request,
    which a steward of the currency approves or declines."""
    if payload.name.strip():
        raise ValidationFailed(
            _("Accounts are named after their holder; leave the name out."), field="name"
        )
    currency = queries.currency_by_code(payload.currency)
    if payload.kind == Account.Kind.ORGANISATION:
        if payload.organisation is None:
            raise ValidationFailed(
                _("Say which organisation of the directory the account is for."),
                field="organisation",
            )
        account_request = services.account_request_create(
            actor=request.user,
            currency=currency,
            organisation=payload.organisation,
            note=payload.note,
        )
        return Status(202, account_request_out(account_request))
    account = services.account_open(actor=request.user, currency=currency, kind=payload.kind)
    account.refresh_from_db()
    return Status(201, account_out(account))


def _account_request(pk: int) -> AccountRequest:
    found: AccountRequest | None = (
        AccountRequest.objects.select_related("currency", "organisation", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such account request."))
    return found


@router.get(
    "/account-requests",
    response=list[AccountRequestOut],
    summary="My account requests, and the open ones I may decide",
)
def account_request_list(request: HttpRequest) -> list[dict[str, Any]]:
    mine = list(credit.requests_of(request.user))
    seen = {r.pk for r in mine}
    to_decide = [r for r in credit.pending_requests(request.user) if r.pk not in seen]
    return [account_request_out(r) for r in [*mine, *to_decide]]


@router.post(
    "/account-requests/{request_id}/approve",
    response=AccountRequestOut,
    summary="Approve: the account opens at credit limit 0 (steward of the currency)",
)
def account_request_approve(
    request: HttpRequest, request_id: int, payload: DecisionIn
) -> dict[str, Any]:
    decided = services.account_request_approve(
        actor=request.user, request=_account_request(request_id), reason=payload.reason
    )
    return account_request_out(_account_request(decided.pk))


@router.post(
    "/account-requests/{request_id}/decline",
    response=AccountRequestOut,
    summary="Decline with a reason (steward of the currency)",
)
def account_request_decline(
    request: HttpRequest, request_id: int, payload: DecisionIn
) -> dict[str, Any]:
    decided = services.account_request_decline(
        actor=request.user, request=_account_request(request_id), reason=payload.reason
    )
    return account_request_out(_account_request(decided.pk))


@router.get("/accounts/{account_id}", response=AccountOut, summary="One account (owner/steward)")
def account_detail(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return account_out(queries.visible_account(request.user, account_id))


@router.get("/accounts/{account_id}/statement", response=StatementOut, summary="Statement")
def account_statement(
    request: HttpRequest, account_id: int, filters: Query[StatementFilter]
) -> dict[str, Any]:
    account = queries.visible_account(request.user, account_id)
    entries = queries.statement(
        account,
        date_from=filters.date_from,
        date_to=filters.date_to,
        category=filters.category,
        direction=filters.direction,
        text=filters.q,
    )
    limit = max(1, min(filters.limit, 1000))
    page = entries[filters.offset : filters.offset + limit]
    return {
        "account": account_out(account),
        "count": entries.count(),
        "entries": [
            {
                "id": e.pk,
                "seq": e.seq,
                "transfer": e.transfer_id,
                "counterparty": (e.transfer.payee.name if e.amount < 0 else e.transfer.payer.name),
                "amount_minor": e.amount,
                "balance_after_minor": e.balance_after,
                "memo": e.transfer.memo,
                "category": e.transfer.category,
                "kind": e.transfer.kind,
                "created_at": e.created_at,
            }
            for e in page
        ],
    }


@router.put("/accounts/{account_id}/limits", response=AccountOut, summary="Set limits (steward)")
def account_limits(request: HttpRequest, account_id: int, payload: LimitsIn) -> dict[str, Any]:
    account = Account.objects.select_related("currency").filter(pk=account_id).first()
    if account is None or not allowed(request.user, "ledger.currency.steward", account):
        raise PermissionDenied(_("Only a steward of this currency may do this."))
    account = services.account_limits_set(
        actor=request.user,
        account=account,
        credit_limit=payload.credit_limit,
        upper_limit=payload.upper_limit,
        reason=payload.reason,
    )
    return account_out(account)


# --- transfers -----------------------------------------------------------------------


@router.post("/transfers", response={201: TransferOut, 200: TransferOut}, summary="Pay")
def transfer_create(
    request: HttpRequest, payload: TransferIn, idempotency_key: str | None = KEY_HEADER
) -> Status[dict[str, Any]]:
    payer = queries.resolve_own_account(
        request.user, account_id=payload.payer, currency_code=payload.currency, field="payer"
    )
    if payload.payee is None and "/" in (payload.payee_username or "").strip().strip("/"):
        # a member of another network (network/member): credit between networks
        from solidaria.creditcommons import services as cc

        remote = cc.pay_from_account(
            actor=request.user,
            account=payer,
            payee=payload.payee_username or "",
            amount=queries.resolve_amount(
                payer.currency, amount=payload.amount, amount_minor=payload.amount_minor
            ),
            key=_key(idempotency_key, payload.idempotency_key),
            memo=payload.memo,
        )
        if remote.is_final and remote.state != "completed":
            raise ValidationFailed(cc.outcome_sentence(remote, payer.currency), field="payee")
        assert remote.transfer is not None
        return Status(201, transfer_out(remote.transfer))
    payee = queries.resolve_other_account(
        account_id=payload.payee,
        username=payload.payee_username,
        currency=payer.currency,
        field="payee",
    )
    amount = queries.resolve_amount(
        payer.currency, amount=payload.amount, amount_minor=payload.amount_minor
    )
    transfer = services.transfer_create(
        actor=request.user,
        payer=payer,
        payee=payee,
        amount_minor=amount,
        memo=payload.memo,
        category=payload.category,
        key=_key(idempotency_key, payload.idempotency_key),
    )
    return Status(200 if transfer.replayed else 201, transfer_out(transfer))


@router.post("/transfers/bulk", response={201: BatchOut, 200: BatchOut}, summary="Bulk payment")
def transfer_bulk(
    request: HttpRequest, payload: BulkIn, idempotency_key: str | None = KEY_HEADER
) -> Status[dict[str, Any]]:
    """All lines or none. `one_to_many`: the counterparty pays each line's account;
    `many_to_one` (stewards): each line's account pays the counterparty."""
    counterparty = queries.visible_account(request.user, payload.counterparty)
    currency = counterparty.currency
    lines = []
    for i, line in enumerate(payload.lines, 1):
        try:
            amount = queries.resolve_amount(
                currency, amount=line.amount, amount_minor=line.amount_minor
            )
        except ValidationFailed as exc:
            exc.message = _("line %(line)s: %(reason)s") % {"line": i, "reason": exc.message}
            raise
        lines.append((line.account, amount, line.memo, line.category))
    batch = batches.bulk_transfer(
        actor=request.user,
        kind=payload.kind,
        counterparty=counterparty,
        lines=lines,
        memo=payload.memo,
        key=_key(idempotency_key, payload.idempotency_key),
    )
    body = {
        "id": batch.pk,
        "kind": batch.kind,
        "line_count": batch.line_count,
        "total_minor": batch.total_minor,
        "replayed": batch.replayed,
    }
    return Status(200 if batch.replayed else 201, body)


@router.get("/transfers/pending", response=list[TransferOut], summary="Authorisation queue")
def transfer_pending(request: HttpRequest) -> list[dict[str, Any]]:
    if not is_steward(request.user):
        raise PermissionDenied(_("only stewards may do this"))
    return [transfer_out(t) for t in queries.pending_authorisations()]


@router.get("/transfers/{transfer_id}", response=TransferOut, summary="One transfer")
def transfer_detail(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    return transfer_out(queries.visible_transfer(request.user, transfer_id))


@router.post("/transfers/{transfer_id}/approve", response=TransferOut, summary="Approve (steward)")
def transfer_approve(request: HttpRequest, transfer_id: int, payload: DecisionIn) -> dict[str, Any]:
    transfer = services.transfer_approve(
        actor=request.user, transfer=transfer_id, reason=payload.reason
    )
    return transfer_out(Transfer.objects.select_related("currency").get(pk=transfer.pk))


@router.post("/transfers/{transfer_id}/reject", response=TransferOut, summary="Reject (steward)")
def transfer_reject(request: HttpRequest, transfer_id: int, payload: DecisionIn) -> dict[str, Any]:
    transfer = services.transfer_reject(
        actor=request.user, transfer=transfer_id, reason=payload.reason
    )
    return transfer_out(Transfer.objects.select_related("currency").get(pk=transfer.pk))


@router.post(
    "/transfers/{transfer_id}/reverse",
    response={201: TransferOut, 200: TransferOut},
    summary="Reverse a payment (steward or payee)",
)
def transfer_reverse(
    request: HttpRequest,
    transfer_id: int,
    payload: ReverseIn,
    idempotency_key: str | None = KEY_HEADER,
) -> Status[dict[str, Any]]:
    original = queries.visible_transfer(request.user, transfer_id)
    reversal = services.transfer_reverse(
        actor=request.user,
        transfer=original,
        reason=payload.reason,
        key=_key(idempotency_key, payload.idempotency_key),
    )
    return Status(200 if reversal.replayed else 201, transfer_out(reversal))


# --- payment requests ----------------------------------------------------------------


@router.get("/requests", response=list[RequestOut], summary="Requests to me and from me")
def request_list(request: HttpRequest) -> list[dict[str, Any]]:
    mine = list(queries.requests_to_pay(request.user)) + list(queries.requests_made(request.user))
    return [request_out(r) for r in mine]


@router.post("/requests", response={201: RequestOut}, summary="Ask someone to pay you")
def request_create(request: HttpRequest, payload: RequestIn) -> Status[dict[str, Any]]:
    payee = queries.resolve_own_account(
        request.user, account_id=payload.payee, currency_code=payload.currency, field="payee"
    )
    payer = queries.resolve_other_account(
        account_id=payload.payer,
        username=payload.payer_username,
        currency=payee.currency,
        field="payer",
    )
    amount = queries.resolve_amount(
        payee.currency, amount=payload.amount, amount_minor=payload.amount_minor
    )
    req = payment_requests.request_create(
        actor=request.user,
        payee=payee,
        payer=payer,
        amount_minor=amount,
        memo=payload.memo,
        category=payload.category,
    )
    return Status(201, request_out(req))


@router.post("/requests/{request_id}/accept", response=TransferOut, summary="Accept and pay")
def request_accept(request: HttpRequest, request_id: int) -> dict[str, Any]:
    queries.visible_request(request.user, request_id)
    transfer = payment_requests.request_accept(actor=request.user, request=request_id)
    return transfer_out(Transfer.objects.select_related("currency").get(pk=transfer.pk))


@router.post("/requests/{request_id}/decline", response=RequestOut, summary="Decline")
def request_decline(request: HttpRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    queries.visible_request(request.user, request_id)
    req = payment_requests.request_decline(
        actor=request.user, request=request_id, reason=payload.reason
    )
    return request_out(req)


@router.post("/requests/{request_id}/cancel", response=RequestOut, summary="Withdraw a request")
def request_cancel(request: HttpRequest, request_id: int) -> dict[str, Any]:
    queries.visible_request(request.user, request_id)
    return request_out(payment_requests.request_cancel(actor=request.user, request=request_id))


# --- offers and wants ----------------------------------------------------------------


@router.get("/offers-wants", response=list[ListingOut], auth=None, summary="Search offers, wants")
def listing_list(request: HttpRequest, filters: Query[ListingFilter]) -> list[dict[str, Any]]:
    found = queries.listings_search(
        text=filters.q,
        kind=filters.kind,
        category=filters.category,
        place=filters.place,
        currency=filters.currency,
        item_type=filters.item_type,
    )
    return [listing_out(li) for li in found[:500]]


@router.post("/offers-wants", response={201: ListingOut}, summary="Post an offer or a want")
def listing_create(request: HttpRequest, payload: ListingIn) -> Status[dict[str, Any]]:
    listing = listings.listing_create(actor=request.user, **payload.model_dump())
    return Status(201, listing_out(listing))


@router.get(
    "/offers-wants/murmurations",
    auth=None,
    summary="All active offers and wants as Murmurations profiles",
)
def listing_murmurations(request: HttpRequest) -> list[dict[str, Any]]:
    base = request.build_absolute_uri("/").rstrip("/")
    return murmurations.profiles(queries.listings_search(), base_url=base)


@router.get("/offers-wants/{listing_id}", response=ListingOut, auth=None, summary="One listing")
def listing_detail(request: HttpRequest, listing_id: int) -> dict[str, Any]:
    return listing_out(listings.get_listing(listing_id))


@router.get("/offers-wants/{listing_id}/murmurations", auth=None, summary="Murmurations profile")
def listing_profile(request: HttpRequest, listing_id: int) -> dict[str, Any]:
    base = request.build_absolute_uri("/").rstrip("/")
    return murmurations.profile(listings.get_listing(listing_id), base_url=base)


@router.post("/offers-wants/{listing_id}/close", response=ListingOut, summary="Close a listing")
def listing_close(request: HttpRequest, listing_id: int) -> dict[str, Any]:
    return listing_out(listings.listing_close(actor=request.user, listing=listing_id))


@router.post(
    "/offers-wants/{listing_id}/respond",
    response={201: RequestOut},
    summary="Respond: turns into a payment request",
)
def listing_respond(
    request: HttpRequest, listing_id: int, payload: RespondIn
) -> Status[dict[str, Any]]:
    req = listings.listing_respond(
        actor=request.user,
        listing=listing_id,
        amount=payload.amount,
        amount_minor=payload.amount_minor,
        currency_code=payload.currency,
        memo=payload.memo,
    )
    return Status(201, request_out(req))


# --- verification --------------------------------------------------------------------


@router.get("/verify", response=VerifyOut, summary="Recompute the journal (steward)")
def ledger_verify(request: HttpRequest) -> dict[str, Any]:
    if not is_steward(request.user):
        raise PermissionDenied(_("only stewards may do this"))
    report = verify()
    return {
        "ok": report.ok,
        "entries": report.entries,
        "accounts": report.accounts,
        "transfers": report.transfers,
        "first_problem": report.first.message if report.first else None,
        "problems": len(report.problems),
    }


class CheckpointOut(Schema):
    id: int
    last_entry_id: int
    entry_count: int
    head_hash: str
    created_at: str
    key_id: str
    mac: str


@router.get(
    "/checkpoints",
    response=list[CheckpointOut],
    auth=None,
    summary="Journal checkpoints (public; `solidaria ledger verify --checkpoints` reads them)",
)
def ledger_checkpoints(request: HttpRequest) -> list[dict[str, Any]]:
    return checkpoints.published_list()
