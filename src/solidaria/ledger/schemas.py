"""django-ninja schemas of the ledger API (OpenAPI comes from these)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field
from pydantic import model_validator

from solidaria.core.apischema import BIGINT_MAX, Schema
from solidaria.ledger.models import Account, Currency, Listing, Transfer
from solidaria.ledger.services import upper_limit_problem

# The settings a currency cannot be without: `null` for them is refused, not stored.
NOT_NULL = ("name", "default_credit_limit", "starting_grant", "levy_basis_points", "is_active")


class CurrencyOut(Schema):
    code: str
    name: str
    unit_kind: str
    exponent: int
    default_credit_limit: int
    default_upper_limit: int | None
    soft_credit_limit: int | None
    soft_upper_limit: int | None
    starting_grant: int
    levy_basis_points: int
    authorisation_threshold: int | None
    is_active: bool
    credit_policy: str
    credit_policy_version: int
    credit_policy_since: dt.datetime | None


class CurrencyIn(Schema):
    limits_from = (Currency,)

    code: str
    name: str
    unit_kind: str = "money"
    exponent: int = Field(2, ge=0, le=6)
    default_credit_limit: int = Field(0, ge=0, le=BIGINT_MAX)
    default_upper_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    soft_credit_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    soft_upper_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    starting_grant: int = Field(0, ge=0, le=BIGINT_MAX)
    levy_basis_points: int = Field(0, ge=0, le=10_000)
    authorisation_threshold: int | None = Field(None, ge=0, le=BIGINT_MAX)
    credit_policy: str = "steward_decides"

    @model_validator(mode="after")
    def _upper_limit(self) -> CurrencyIn:
        problem = upper_limit_problem(self.default_upper_limit, self.starting_grant)
        if problem:
            raise ValueError(problem)
        return self


class CreditPolicyIn(Schema):
    credit_policy: str
    reason: str


class CurrencyPatch(Schema):
    """Only the settings sent change. `null` clears a limit that may be empty (the
    upper and soft limits, the authorisation threshold); the others cannot be null."""

    limits_from = (Currency,)

    reason: str
    name: str | None = None
    default_credit_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    default_upper_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    soft_credit_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    soft_upper_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    starting_grant: int | None = Field(None, ge=0, le=BIGINT_MAX)
    levy_basis_points: int | None = Field(None, ge=0, le=10_000)
    authorisation_threshold: int | None = Field(None, ge=0, le=BIGINT_MAX)
    is_active: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> CurrencyPatch:
        for name in NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(_("%(name)s cannot be empty.") % {"name": name})
        return self


class AccountOut(Schema):
    id: int
    currency: str
    kind: str
    name: str
    owner: str | None
    balance_minor: int
    reserved_minor: int
    available_minor: int
    balance: str
    credit_limit: int | None
    upper_limit: int | None
    is_active: bool
    organisation: int | None = None


class AccountOpenIn(Schema):
    limits_from = (Account,)

    """`kind` member opens the caller's own account; `kind` organisation asks for the
    account of `organisation` (a directory id), which a steward of the currency decides.
    Accounts are named after their holder: `name` is refused unless empty."""

    currency: str
    kind: str = "member"
    organisation: int | None = None
    note: str = ""
    name: str = ""

    limits_from = (Account,)


class AccountRequestOut(Schema):
    id: int
    currency: str
    organisation: int
    organisation_name: str
    requested_by: str
    requested_at: dt.datetime
    note: str
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str
    account: int | None


class LimitsIn(Schema):
    credit_limit: int | None = Field(ge=0, le=BIGINT_MAX)
    upper_limit: int | None = Field(None, ge=0, le=BIGINT_MAX)
    reason: str


class TransferIn(Schema):
    limits_from = (Transfer,)

    payee: int | None = None
    payee_username: str | None = None
    payer: int | None = None
    currency: str | None = None
    amount: str | None = None
    amount_minor: int | None = None
    memo: str = ""
    category: str = ""
    idempotency_key: str | None = None


class TransferOut(Schema):
    id: int
    currency: str
    payer: int
    payee: int
    amount_minor: int
    amount: str
    memo: str
    category: str
    kind: str
    status: str
    reverses: int | None
    created_at: dt.datetime
    replayed: bool = False
    warnings: list[str] = []


class ReverseIn(Schema):
    reason: str
    idempotency_key: str | None = None


class DecisionIn(Schema):
    reason: str = ""


class BulkLineIn(Schema):
    account: int
    amount: str | None = None
    amount_minor: int | None = None
    memo: str = ""
    category: str = ""


class BulkIn(Schema):
    kind: str
    counterparty: int
    lines: list[BulkLineIn]
    memo: str = ""
    idempotency_key: str | None = None


class BatchOut(Schema):
    id: int
    kind: str
    line_count: int
    total_minor: int
    replayed: bool = False


class RequestIn(Schema):
    payer: int | None = None
    payer_username: str | None = None
    payee: int | None = None
    currency: str | None = None
    amount: str | None = None
    amount_minor: int | None = None
    memo: str = ""
    category: str = ""


class RequestOut(Schema):
    id: int
    currency: str
    payer: int
    payee: int
    amount_minor: int
    amount: str
    memo: str
    category: str
    status: str
    transfer: int | None
    listing: int | None


class EntryOut(Schema):
    id: int
    seq: int
    transfer: int
    counterparty: str
    amount_minor: int
    balance_after_minor: int
    memo: str
    category: str
    kind: str
    created_at: dt.datetime


class StatementOut(Schema):
    account: AccountOut
    count: int
    entries: list[EntryOut]


class StatementFilter(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""
    direction: str = ""
    q: str = ""
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=BIGINT_MAX)


class ListingIn(Schema):
    limits_from = (Listing,)

    kind: str
    item_type: str = "service"
    title: str
    category: str
    description: str
    place: str = ""
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    price: str | None = None
    currency: str | None = None


class ListingOut(Schema):
    id: int
    kind: str
    item_type: str
    title: str
    category: str
    description: str
    place: str
    owner: str
    price_minor: int | None
    price: str | None
    currency: str | None
    is_active: bool
    created_at: dt.datetime


class ListingFilter(Schema):
    q: str = ""
    kind: str = ""
    category: str = ""
    place: str = ""
    currency: str = ""
    item_type: str = ""


class RespondIn(Schema):
    amount: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    memo: str = ""


class VerifyOut(Schema):
    ok: bool
    entries: int
    accounts: int
    transfers: int
    first_problem: str | None
    problems: int
