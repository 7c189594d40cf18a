"""Pages for the money seams of a co-op: shares paid on the ledger, allocations whose
patronage comes from the ledger, and putting an allocation to the general assembly.

Every page needs a login and a place inside the co-op (its members and stewards);
writes go through `services`, whose correctable refusals become messages or form errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE, show_on_form
from solidaria.core.permissions import member_required
from solidaria.governance import capital_forms, labels, queries, services
from solidaria.governance.models import AllocationRun, Cooperative, ShareOrder


def _coop(slug: str) -> Cooperative:
    return get_object_or_404(
        Cooperative.objects.select_related("currency", "organisation"), slug=slug
    )


def _member_account(user: Any, coop: Cooperative) -> Any:
    from solidaria.ledger.models import Account

    if coop.currency_id is None:
        return None
    return Account.objects.filter(
        kind=Account.Kind.MEMBER, owner_id=user.pk, currency_id=coop.currency_id
    ).first()


@member_required
def shares(request: HttpRequest, slug: str) -> HttpResponse:
    """Buy shares or sell them back, paid on the ledger; the open orders."""
    coop = _coop(slug)
    if not queries.may_see_inside(request.user, coop):
        raise DjangoPermissionDenied
    is_steward = queries.is_coop_steward(request.user, coop)
    membership = queries.active_membership(request.user, coop)
    account = queries.coop_account(coop)
    form = capital_forms.SharePaymentForm(request.POST or None, coop=coop, is_steward=is_steward)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            name = (d.get("member") or "").strip()
            target = queries.find_member(coop, name) if name else membership
            if target is None:
                raise DjangoPermissionDenied
            is_subscription = d["operation"] == ShareOrder.Kind.SUBSCRIPTION
            if d["pay_now"]:
                services.shares_pay_now(
                    actor=request.user,
                    kind=d["operation"],
                    membership=target,
                    share_type=d["share_type"],
                    quantity=d["quantity"],
                    memo=d["memo"],
                    key=request.POST.get("idempotency_key") or None,
                )
                messages.success(
                    request,
                    _("Paid: the shares are in the register.")
                    if is_subscription
                    else _("Paid back: the register shows the redemption."),
                )
            else:
                services.shares_request_payment(
                    actor=request.user,
                    kind=d["operation"],
                    membership=target,
                    share_type=d["share_type"],
                    quantity=d["quantity"],
                    memo=d["memo"],
                )
                messages.success(
                    request,
                    _(
                        "A payment request was sent; the shares are entered in the register "
                        "when it is paid."
                    ),
                )
            return redirect("governance:shares", slug=slug)
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    orders = queries.open_share_orders(coop, None if is_steward else membership)
    holdings = (
        [
            {"type": t, "held": queries.holding(membership, t)}
            for t in coop.share_types.order_by("name")
        ]
        if membership is not None
        else []
    )
    return render(
        request,
        "governance/shares.html",
        {
            "coop": coop,
            "form": form,
            "is_steward": is_steward,
            "membership": membership,
            "coop_account": account,
            "my_account": _member_account(request.user, coop),
            "orders": orders,
            "holdings": holdings,
            "idempotency_key": request.POST.get("idempotency_key") or _new_key(),
        },
    )


def _new_key() -> str:
    import uuid

    return uuid.uuid4().hex


@member_required
def allocation_from_ledger(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    if not queries.is_coop_steward(request.user, coop):
        raise DjangoPermissionDenied
    form = capital_forms.LedgerAllocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            run = services.allocation_run_from_ledger(
                actor=request.user,
                coop=coop,
                year=d["year"],
                surplus_minor=d["surplus"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                hours_currency=d["hours_currency"],
                include_purchases=d["include_purchases"],
            )
            return redirect("governance:allocation", pk=run.pk)
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    return render(
        request,
        "governance/allocation_ledger_form.html",
        {"coop": coop, "form": form, "coop_account": queries.coop_account(coop)},
    )


@member_required
@require_POST
def allocation_poll(request: HttpRequest, pk: int) -> HttpResponse:
    """A steward puts an allocation to the general assembly (a poll)."""
    run = get_object_or_404(AllocationRun.objects.select_related("coop"), pk=pk)
    if not queries.may_see_inside(request.user, run.coop):
        raise DjangoPermissionDenied
    form = capital_forms.AssemblyPollForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date and time the poll closes."))
        return redirect("governance:allocation", pk=pk)
    try:
        poll = services.allocation_poll_open(
            actor=request.user, run=run, closes_at=form.cleaned_data["closes_at"]
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
        return redirect("governance:allocation", pk=pk)
    messages.success(
        request,
        _("The general assembly's poll is open; if it passes, the allocation is applied."),
    )
    return redirect("governance:poll", pk=poll.pk)


def allocation_context(run: AllocationRun) -> dict[str, Any]:
    """What the allocation page shows beyond the run's lines: where the patronage came
    from, each figure's number of payments, and who accepts it (a steward, or the
    general assembly's poll)."""
    from solidaria.governance.services.allocation import needs_assembly

    poll = getattr(run, "assembly_poll", None)
    return {
        "source_sentence": labels.patronage_source_sentence(run),
        "is_from_ledger": run.patronage_source == "ledger",
        "needs_assembly": needs_assembly(run),
        "assembly_poll": poll,
        "assembly_outcome": labels.outcome_label(poll.result.outcome)
        if poll is not None and poll.is_closed and hasattr(poll, "result")
        else "",
        "assembly_form": capital_forms.AssemblyPollForm(),
    }


def patronage_rows(run: AllocationRun) -> list[dict[str, Any]]:
    shares = {m.get("member"): m.get("patronage_share") for m in run.result.get("members", [])}
    return [
        {
            "input": i,
            "share": shares.get(i.membership.user.username),
            "hours_count": labels.transfers_count(i.hours_transfers),
            "purchases_count": labels.transfers_count(i.purchases_transfers),
        }
        for i in run.inputs.select_related("membership__user")
    ]
