"""Ledger pages. Thin: parse the form, call a service or query, render; a DomainError
becomes a message next to the field it concerns."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE, DomainError, NotFound, show_on_form
from solidaria.core.permissions import allowed, is_steward, member_required, steward_required
from solidaria.core.querybounds import page_number
from solidaria.core.textfiles import safe_writer
from solidaria.ledger import credit, forms, listings, payment_requests, queries, services
from solidaria.ledger.models import Account, Currency, Transfer


def _get_or_404(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound:
        raise Http404 from None


@member_required
def home(request: HttpRequest) -> HttpResponse:
    accounts = queries.accounts_of(request.user)
    joined = accounts.values_list("currency_id", flat=True)
    joinable = Currency.objects.filter(is_active=True).exclude(pk__in=list(joined))
    join_form = forms.JoinForm(currencies=joinable)
    return render(
        request,
        "ledger/home.html",
        {
            "accounts": accounts,
            "join_form": join_form if joinable.exists() else None,
            "to_pay": queries.requests_to_pay(request.user),
            "made": queries.requests_made(request.user)[:20],
            "is_steward": is_steward(request.user),
            "account_requests": credit.requests_of(request.user)[:20],
            "may_ask": credit.operated_organisations(request.user).exists(),
        },
    )


@member_required
def account_request_new(request: HttpRequest) -> HttpResponse:
    """An organisation's operator asks for its account; a steward of the currency decides."""
    form = forms.AccountRequestForm(
        request.POST or None,
        currencies=Currency.objects.filter(is_active=True),
        organisations=credit.operated_organisations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_request_create(
                actor=request.user,
                currency=data["currency"],
                organisation=data["organisation"],
                note=data["note"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(
                request,
                _("You asked for an account for %(name)s; a steward of %(code)s will decide.")
                % {"name": data["organisation"].name, "code": data["currency"].code},
            )
            return redirect("ledger:home")
    return render(
        request,
        "ledger/account_request.html",
        {"form": form, "has_organisations": form.fields["organisation"].queryset.exists()},
    )


@member_required
@require_POST
def join(request: HttpRequest) -> HttpResponse:
    form = forms.JoinForm(request.POST, currencies=Currency.objects.filter(is_active=True))
    if form.is_valid():
        try:
            account = services.account_open(
                actor=request.user, currency=form.cleaned_data["currency"]
            )
            messages.success(request, _("You joined %(code)s.") % {"code": account.currency.code})
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
    return redirect("ledger:home")


@member_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_or_404(queries.visible_account, request.user, account_id)
    form = forms.StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    entries = queries.statement(
        account,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        category=filters.get("category", ""),
        direction=filters.get("direction", ""),
        text=filters.get("q", ""),
    )
    if request.GET.get("format") == "csv":
        return _statement_csv(account, entries)
    page = Paginator(entries, 50).get_page(page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/account.html",
        {
            "account": account,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "currency": account.currency,
            "may_manage_operators": account.kind == Account.Kind.ORGANISATION
            and allowed(request.user, "ledger.account.operators.set", account),
        },
    )


def _statement_csv(account: Account, entries: Any) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="statement-{account.currency.code}-{account.pk}.csv"'
    )
    writer = safe_writer(response)
    writer.writerow(
        ["date", "transfer", "kind", "counterparty", "memo", "category", "amount", "balance"]
    )
    fmt = account.currency.format
    for e in entries.iterator(chunk_size=2000):
        other = e.transfer.payee if e.amount < 0 else e.transfer.payer
        writer.writerow(
            [
                e.created_at.isoformat(),
                e.transfer_id,
                e.transfer.kind,
                other.name,
                e.transfer.memo,
                e.transfer.category,
                fmt(e.amount),
                fmt(e.balance_after),
            ]
        )
    return response


@member_required
def pay(request: HttpRequest) -> HttpResponse:
    accounts = queries.accounts_of(request.user, right="can_pay")
    initial = {"payee_username": request.GET.get("to", ""), "amount": request.GET.get("amount", "")}
    form = forms.PayForm(request.POST or None, accounts=accounts, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payer = data["payer"]
        try:
            if "/" in data["payee_username"].strip().strip("/"):  # network/member
                from solidaria.creditcommons import services as cc

                remote = cc.pay_from_account(
                    actor=request.user,
                    account=payer,
                    payee=data["payee_username"],
                    amount=data["amount"],
                    key=data["idempotency_key"],
                    memo=data["memo"],
                )
                level = messages.success if remote.state == "completed" else messages.warning
                level(request, cc.outcome_sentence(remote, payer.currency))
                return redirect("ledger:account", account_id=payer.pk)
            payee = queries.resolve_other_account(
                account_id=None,
                username=data["payee_username"],
                currency=payer.currency,
                field="payee_username",
            )
            amount = services.parse_amount(payer.currency, data["amount"])
            transfer = services.transfer_create(
                actor=request.user,
                payer=payer,
                payee=payee,
                amount_minor=amount,
                memo=data["memo"],
                category=data["category"],
                key=data["idempotency_key"],
            )
        except CORRECTABLE as exc:
            if exc.field == "payee":
                exc.field = "payee_username"
            show_on_form(form, exc)
        else:
            for warning in transfer.warnings:
                messages.warning(request, warning)
            if transfer.status == Transfer.Status.PENDING:
                messages.info(request, _("Your payment waits for a steward's approval."))
            else:
                messages.success(
                    request,
                    _("You paid %(amount)s to %(name)s.")
                    % {"amount": payer.currency.format(amount), "name": payee.name},
                )
            return redirect("ledger:account", account_id=payer.pk)
    return render(request, "ledger/pay.html", {"form": form, "has_accounts": accounts.exists()})


@member_required
def request_new(request: HttpRequest) -> HttpResponse:
    accounts = queries.accounts_of(request.user, right="can_request")
    form = forms.RequestForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payee = data["payee"]
        try:
            payer = queries.resolve_other_account(
                account_id=None,
                username=data["payer_username"],
                currency=payee.currency,
                field="payer_username",
            )
            amount = services.parse_amount(payee.currency, data["amount"])
            payment_requests.request_create(
                actor=request.user,
                payee=payee,
                payer=payer,
                amount_minor=amount,
                memo=data["memo"],
                category=data["category"],
            )
        except CORRECTABLE as exc:
            if exc.field == "payer":
                exc.field = "payer_username"
            show_on_form(form, exc)
        else:
            messages.success(
                request, _("Your request was sent to %(name)s.") % {"name": payer.name}
            )
            return redirect("ledger:home")
    return render(request, "ledger/request.html", {"form": form, "has_accounts": accounts.exists()})


@member_required
@require_POST
def request_decide(request: HttpRequest, request_id: int, decision: str) -> HttpResponse:
    _get_or_404(queries.visible_request, request.user, request_id)
    try:
        if decision == "accept":
            transfer = payment_requests.request_accept(actor=request.user, request=request_id)
            if transfer.status == Transfer.Status.PENDING:
                messages.info(request, _("Your payment waits for a steward's approval."))
            else:
                messages.success(request, _("You paid the request."))
        elif decision == "decline":
            payment_requests.request_decline(
                actor=request.user, request=request_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("You declined the request."))
        else:
            payment_requests.request_cancel(actor=request.user, request=request_id)
            messages.success(request, _("You withdrew the request."))
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect("ledger:home")


@member_required
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = _get_or_404(queries.visible_transfer, request.user, transfer_id)
    form = forms.ReverseForm(request.POST or None)
    may_reverse = transfer.status == Transfer.Status.COMPLETED and (
        is_steward(request.user) or transfer.payee.owner_id == request.user.pk
    )
    if request.method == "POST" and may_reverse and form.is_valid():
        try:
            reversal = services.transfer_reverse(
                actor=request.user,
                transfer=transfer,
                reason=form.cleaned_data["reason"],
                key=form.cleaned_data["idempotency_key"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The payment was reversed."))
            return redirect("ledger:transfer", transfer_id=reversal.pk)
    return render(
        request,
        "ledger/transfer.html",
        {"transfer": transfer, "form": form, "may_reverse": may_reverse},
    )


# --- offers and wants ----------------------------------------------------------------


def listing_list(request: HttpRequest) -> HttpResponse:
    form = forms.ListingSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    found = queries.listings_search(
        text=data.get("q", ""),
        kind=data.get("kind", ""),
        category=data.get("category", ""),
        place=data.get("place", ""),
    )
    page = Paginator(found, 30).get_page(page_number(request))
    return render(
        request,
        "ledger/listings.html",
        {"form": form, "page": page, "categories": queries.listing_categories()},
    )


@member_required
def listing_new(request: HttpRequest) -> HttpResponse:
    form = forms.ListingForm(
        request.POST or None, organisations=credit.operated_organisations(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            listing = listings.listing_create(actor=request.user, **form.cleaned_data)
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(
                request, _("Your %(kind)s is posted.") % {"kind": listing.get_kind_display()}
            )
            return redirect("ledger:listing", listing_id=listing.pk)
    return render(request, "ledger/listing_form.html", {"form": form})


def listing_detail(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _get_or_404(listings.get_listing, listing_id)
    form = forms.RespondForm(request.POST or None, initial={"currency": listing.currency})
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                listings.listing_respond(
                    actor=request.user,
                    listing=listing,
                    amount=data["amount"] or None,
                    currency_code=data["currency"].code if data["currency"] else None,
                    memo=data["memo"],
                )
            except CORRECTABLE as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("A payment request was made for this exchange."))
                return redirect("ledger:home")
    return render(request, "ledger/listing.html", {"listing": listing, "form": form})


@member_required
@require_POST
def listing_close(request: HttpRequest, listing_id: int) -> HttpResponse:
    try:
        listings.listing_close(actor=request.user, listing=listing_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:  # any refusal to close is a 403 with its reason
        raise DjangoPermissionDenied(exc.message) from None
    messages.success(request, _("Closed."))
    return redirect("ledger:listings")


# --- stewards ------------------------------------------------------------------------


@steward_required
def steward_currencies(request: HttpRequest) -> HttpResponse:
    form = forms.CurrencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("reason", None)
        try:
            services.currency_create(
                actor=request.user, code=data.pop("code"), name=data.pop("name"), **data
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The currency was created."))
            return redirect("ledger:steward_currencies")
    return render(
        request,
        "ledger/steward_currencies.html",
        {"currencies": Currency.objects.all(), "form": form},
    )


@steward_required
def steward_currency_edit(request: HttpRequest, code: str) -> HttpResponse:
    currency = _get_or_404(queries.currency_by_code, code)
    form = forms.CurrencyForm(request.POST or None, instance=Currency.objects.get(pk=currency.pk))
    form.fields["code"].disabled = True
    del form.fields["credit_policy"]  # its own page, steward_credit_policy
    form.fields["reason"].required = True
    if request.method == "POST" and form.is_valid():
        changes = {
            f: form.cleaned_data[f] for f in form.changed_data if f in services.CURRENCY_FIELDS
        }
        try:
            services.currency_update(
                actor=request.user,
                currency=currency,
                reason=form.cleaned_data["reason"],
                **changes,
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("ledger:steward_currencies")
    return render(request, "ledger/steward_currency.html", {"currency": currency, "form": form})


@steward_required
def steward_accounts(request: HttpRequest) -> HttpResponse:
    accounts = Account.objects.select_related("currency", "owner").order_by(
        "currency__code", "name"
    )
    code = request.GET.get("currency", "")
    if code:
        accounts = accounts.filter(currency__code=code)
    page = Paginator(accounts, 100).get_page(page_number(request))
    return render(
        request,
        "ledger/steward_accounts.html",
        {"page": page, "currencies": Currency.objects.all(), "selected": code},
    )


def _limit(currency: Currency, text: str, field: str) -> int | None:
    if not text.strip():
        return None
    if text.strip() == "0":
        return 0
    return services.parse_amount(currency, text, field=field)


def _stewarded_account(user: Any, account_id: int) -> Account:
    account: Account | None = (
        Account.objects.select_related("currency", "owner").filter(pk=account_id).first()
    )
    if account is None:
        raise Http404
    if not allowed(user, "ledger.currency.steward", account):
        raise DjangoPermissionDenied(_("Only a steward of this currency may do this."))
    return account


@member_required
def steward_limits(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _stewarded_account(request.user, account_id)
    cur = account.currency
    initial = {
        "credit_limit": cur.format(account.credit_limit)
        if account.credit_limit is not None
        else "",
        "upper_limit": cur.format(account.upper_limit) if account.upper_limit is not None else "",
    }
    form = forms.LimitsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_limits_set(
                actor=request.user,
                account=account,
                credit_limit=_limit(cur, data["credit_limit"], "credit_limit"),
                upper_limit=_limit(cur, data["upper_limit"], "upper_limit"),
                reason=data["reason"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The limits were changed."))
            return redirect("ledger:account", account_id=account.pk)
    return render(request, "ledger/steward_limits.html", {"account": account, "form": form})


@steward_required
def steward_queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = forms.ReasonForm(request.POST)
        form.is_valid()
        reason = form.cleaned_data.get("reason", "")
        transfer_id = int(request.POST.get("transfer", "0") or 0)
        try:
            if request.POST.get("decision") == "approve":
                services.transfer_approve(actor=request.user, transfer=transfer_id, reason=reason)
                messages.success(request, _("Approved."))
            else:
                services.transfer_reject(actor=request.user, transfer=transfer_id, reason=reason)
                messages.success(request, _("Rejected; the hold was released."))
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        return redirect("ledger:steward_queue")
    return render(
        request,
        "ledger/steward_queue.html",
        {"pending": queries.pending_authorisations(), "form": forms.ReasonForm()},
    )


@member_required
def steward_account_requests(request: HttpRequest) -> HttpResponse:
    """Open account requests for the currencies this person stewards; each is approved
    (the account opens at credit limit 0) or declined with a reason."""
    if not credit.stewarded_currencies(request.user).exists():
        raise DjangoPermissionDenied(_("Only a steward of a currency may do this."))
    if request.method == "POST":
        form = forms.AccountRequestDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a request and a decision."))
            return redirect("ledger:steward_account_requests")
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                decided = services.account_request_approve(
                    actor=request.user, request=data["request"], reason=data["reason"]
                )
                messages.success(
                    request,
                    _("Approved: %(name)s has a %(code)s account with credit limit 0.")
                    % {"name": decided.organisation.name, "code": decided.currency.code},
                )
            else:
                services.account_request_decline(
                    actor=request.user, request=data["request"], reason=data["reason"]
                )
                messages.success(request, _("Declined; the person who asked sees your reason."))
        except NotFound:
            raise Http404 from None
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        return redirect("ledger:steward_account_requests")
    return render(
        request,
        "ledger/steward_account_requests.html",
        {"pending": credit.pending_requests(request.user)},
    )


@member_required
def steward_credit_policy(request: HttpRequest, code: str) -> HttpResponse:
    """A steward of the currency chooses how new accounts get credit."""
    currency = _get_or_404(queries.currency_by_code, code)
    if not allowed(request.user, "ledger.currency.steward", currency):
        raise DjangoPermissionDenied(_("Only a steward of this currency may do this."))
    form = forms.CreditPolicyForm(
        request.POST or None, initial={"credit_policy": currency.credit_policy}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.currency_credit_policy_set(
                actor=request.user,
                currency=currency,
                policy=form.cleaned_data["credit_policy"],
                reason=form.cleaned_data["reason"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The credit policy was saved."))
            return redirect("ledger:steward_credit_policy", code=currency.code)
    return render(
        request, "ledger/steward_credit_policy.html", {"currency": currency, "form": form}
    )
