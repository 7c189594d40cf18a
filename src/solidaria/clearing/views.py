from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.clearing import labels, notices, queries, services
from solidaria.clearing.forms import (
    DecisionForm,
    ImportForm,
    ObligationForm,
    ProposeForm,
    ResponseForm,
    RunStartForm,
    SettleForm,
    SettleInForm,
)
from solidaria.clearing.models import ClearingRun, Obligation, RunResponse
from solidaria.core import visibility
from solidaria.core.errors import CORRECTABLE, ValidationFailed, show_on_form
from solidaria.core.money import AmountError, parse_minor
from solidaria.core.permissions import (
    allowed,
    is_steward,
    member_required,
    require,
    steward_required,
)
from solidaria.core.textfiles import safe_writer, uploaded_text


@member_required
def home(request: HttpRequest) -> HttpResponse:
    form = ObligationForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            amount = parse_minor(data["amount"], exponent=data["currency"].exponent)
            me, them = request.user, data["counterparty"]
            debtor, creditor = (me, them) if data["direction"] == "i_owe" else (them, me)
            services.obligation_create(
                actor=request.user,
                currency=data["currency"],
                debtor=debtor,
                creditor=creditor,
                amount_minor=amount,
                reference=data["reference"],
                due_date=data["due_date"],
                key=data["idempotency_key"],
            )
            messages.success(request, _("Recorded. The other member is asked to confirm it."))
            return redirect("clearing:home")
        except AmountError as exc:
            form.add_error("amount", str(exc))
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    to_settle = [
        (
            ob,
            SettleForm(
                prefix=f"settle-{ob.pk}",
                obligation_currency=ob.currency,
                initial={
                    "currency": ob.settlement_currency_id or ob.currency_id,
                    "amount": ob.currency.format(ob.remaining_minor),
                    "idempotency_key": uuid.uuid4().hex,
                },
            ),
        )
        for ob in queries.to_settle_by(request.user)[:50]
    ]
    context = {
        "form": form,
        "to_settle": to_settle,
        "disputed": queries.disputed_for(request.user)[:50],
        "obligations": queries.obligations_for(request.user)[:200],
        "to_confirm": queries.awaiting_my_confirmation(request.user),
        "runs": ClearingRun.objects.select_related("currency")[:20]
        if is_steward(request.user)
        else [],
        "run_form": RunStartForm(prefix="run") if is_steward(request.user) else None,
        "import_form": ImportForm(prefix="import") if is_steward(request.user) else None,
    }
    return render(request, "clearing/home.html", context)


def _amount(ob: Obligation, text: str) -> int:
    try:
        return parse_minor(text, exponent=ob.currency.exponent)
    except AmountError as exc:
        raise ValidationFailed(str(exc), field="amount") from None


@member_required
@require_POST
def obligation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """A party's action on an obligation: confirm, dispute, propose a corrected amount,
    confirm the other side's correction, withdraw (creditor), choose the settlement
    currency (debtor)."""
    ob = get_object_or_404(Obligation.objects.select_related("currency"), pk=pk)
    post = request.POST
    try:
        if action == "confirm":
            services.obligation_confirm(actor=request.user, obligation=pk)
            messages.success(request, _("Confirmed."))
        elif action == "dispute":
            services.obligation_dispute(
                actor=request.user, obligation=pk, reason=post.get("reason", "")
            )
            messages.success(request, _("Marked as disputed."))
        elif action == "correct":
            services.obligation_correction_propose(
                actor=request.user,
                obligation=pk,
                amount_minor=_amount(ob, post.get("amount", "")),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Proposed. The other side is asked to confirm it."))
        elif action == "accept_correction":
            services.obligation_correction_confirm(actor=request.user, obligation=pk)
            messages.success(request, _("Confirmed: the obligation has its corrected amount."))
        elif action == "withdraw":
            services.obligation_withdraw(
                actor=request.user, obligation=pk, reason=post.get("reason", "")
            )
            messages.success(request, _("Withdrawn: it no longer takes part in clearing."))
        else:
            raise Http404
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect("clearing:home")


@member_required
@require_POST
def obligation_settle(request: HttpRequest, pk: int) -> HttpResponse:
    """The debtor pays (part of) the rest on the ledger."""
    ob = get_object_or_404(Obligation.objects.select_related("currency"), pk=pk)
    require(request.user, "clearing.obligation.settle", ob)
    form = SettleForm(request.POST, prefix=f"settle-{pk}", obligation_currency=ob.currency)
    if not form.is_valid():
        messages.error(request, _("Choose a currency and an amount."))
        return redirect("clearing:home")
    data = form.cleaned_data
    try:
        settled = services.obligation_settle(
            actor=request.user,
            obligation=pk,
            amount_minor=_amount(ob, data["amount"]),
            currency=data["currency"],
            key=data["idempotency_key"],
        )
        messages.success(
            request,
            _("Paid %(amount)s %(code)s on the ledger; %(rest)s is left to pay.")
            % {
                "amount": settled.currency.format(settled.amount_minor),
                "code": settled.currency.code,
                "rest": ob.currency.format(settled.obligation.remaining_minor),
            },
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect("clearing:home")


@steward_required
@require_POST
def import_obligations(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES, prefix="import")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = services.obligations_import(
                actor=request.user,
                currency=form.cleaned_data["currency"],
                text=uploaded_text(upload.read()),
                confirm_both=form.cleaned_data["confirm_both"],
            )
            messages.success(request, _("Imported %(n)s obligations.") % {"n": report.created})
        except CORRECTABLE as exc:
            messages.error(request, f"{upload.name}: {exc.message}")
    else:
        messages.error(request, _("Choose a currency and a CSV file."))
    return redirect("clearing:home")


@steward_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    form = RunStartForm(request.POST, prefix="run")
    if not form.is_valid():
        messages.error(request, _("Choose a currency."))
        return redirect("clearing:home")
    try:
        run = services.run_start(actor=request.user, currency=form.cleaned_data["currency"])
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
        return redirect("clearing:home")
    return redirect("clearing:run", pk=run.pk)


def _run_for(request: HttpRequest, pk: int) -> ClearingRun:
    run = get_object_or_404(ClearingRun.objects.select_related("currency"), pk=pk)
    if not queries.visible_run(request.user, run):
        raise Http404
    return run


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Stewards see every position and cycle; a member sees their own position, their
    obligations in the run, the cycles they are in (members they have no obligation with
    in this run are "a member"), and answers a proposal. Anyone else who may read the run
    (anyone for a public run, members for the others) reads its summary: totals and
    percentages, never a person's position."""
    run = get_object_or_404(ClearingRun.objects.select_related("currency"), pk=pk)
    visibility.require_view(request.user, "clearing.run.view", run)
    if not queries.visible_run(request.user, run):
        template = "clearing/_run_status.html" if request.htmx else "clearing/run_summary.html"
        return render(request, template, {"run": run})
    steward = is_steward(request.user)
    positions = queries.member_positions(run) if run.summary and steward else []
    scale = max([max(p.owes_before, p.owed_before) for p in positions] or [1]) or 1
    cycles = queries.cycles_for(run, request.user)
    answers = queries.answers(run)
    my_answer = queries.responses(run).get(request.user.pk)
    successor = run.successors.order_by("-pk").first()
    template = "clearing/_run_status.html" if request.htmx else "clearing/run.html"
    return render(
        request,
        template,
        {
            "run": run,
            "positions": positions,
            "scale": scale,
            "cycles": cycles[:10] if steward else cycles,
            "decision_form": DecisionForm(),
            "propose_form": ProposeForm(),
            "response_form": ResponseForm(),
            "settle_in_form": SettleInForm(),
            "is_steward": steward,
            "my_lines": queries.notice_lines(run, request.user),
            "my_position": queries.position(run, request.user),
            "may_answer": run.status == ClearingRun.Status.PROPOSED
            and my_answer is None
            and allowed(request.user, "clearing.run.respond", run),
            "my_answer": my_answer,
            "answers": labels.answers_sentence(
                touched=answers.touched, accepted=answers.accepted, objected=answers.objected
            ),
            "rule": labels.rule_sentence(run.acceptance_rule),
            "outcome": labels.outcome_sentence(
                status=run.status,
                rule=run.acceptance_rule,
                all_accepted=answers.touched == answers.accepted,
                successor=successor.pk if successor else None,
            ),
            "successor": successor,
            "objections": run.responses.filter(answer=RunResponse.Answer.OBJECT).select_related(
                "member"
            )
            if steward
            else [],
        },
    )


@steward_required
@require_POST
def run_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """A steward proposes a computed run to its members (with a deadline) or rejects it."""
    try:
        if decision == "propose":
            form = ProposeForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the date and time members answer by."))
                return redirect("clearing:run", pk=pk)
            run = services.run_propose(
                actor=request.user,
                run=pk,
                deadline=form.cleaned_data["deadline"],
                reason=form.cleaned_data["reason"],
            )
            if run.status == ClearingRun.Status.ACCEPTED:
                messages.success(request, _("Applied: it touches no member's obligations."))
            else:
                messages.success(request, _("Proposed: the members it touches are asked."))
        elif decision == "reject":
            services.run_reject(actor=request.user, run=pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("Rejected: nothing changed."))
        else:
            raise Http404
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect("clearing:run", pk=pk)


@member_required
@require_POST
def run_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """A member the run touches accepts or objects."""
    require(request.user, "clearing.run.respond", _run_for(request, pk))
    form = ResponseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you accept or object."))
        return redirect("clearing:run", pk=pk)
    try:
        standing = services.run_respond(
            actor=request.user,
            run=pk,
            answer=form.cleaned_data["answer"],
            reason=form.cleaned_data["reason"],
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
        return redirect("clearing:run", pk=pk)
    if form.cleaned_data["answer"] == "object":
        messages.success(
            request,
            _("Objection recorded: the set-off is computed again without your obligations."),
        )
    elif standing.status == ClearingRun.Status.ACCEPTED:
        messages.success(request, _("Accepted. Every member accepted: the set-off is applied."))
    else:
        messages.success(request, _("Accepted. Thank you."))
    return redirect("clearing:run", pk=pk)


@steward_required
@require_POST
def run_settle_in(request: HttpRequest, pk: int) -> HttpResponse:
    """A steward chooses the ledger currency for the rest an applied run left."""
    form = SettleInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a currency."))
        return redirect("clearing:run", pk=pk)
    try:
        count = services.run_settlement_currency_set(
            actor=request.user, run=pk, currency=form.cleaned_data["currency"]
        )
        messages.success(
            request,
            _("The rest of %(n)s obligations is now paid in %(code)s.")
            % {"n": count, "code": form.cleaned_data["currency"].code},
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect("clearing:run", pk=pk)


@member_required
def notice(request: HttpRequest, pk: int, fmt: str = "html") -> HttpResponse:
    """A member's set-off notice for a run, as a page, CSV or PDF."""
    run = _run_for(request, pk)
    lines = queries.notice_lines(run, request.user)
    currency = run.currency
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="setoff-notice-run-{run.pk}.csv"'
        writer = safe_writer(response)
        writer.writerow(
            ["obligation", "reference", "role", "counterparty", "before", "setoff", "after"]
        )
        for line in lines:
            writer.writerow(
                [
                    line.obligation_id,
                    line.reference,
                    line.role,
                    line.counterparty,
                    currency.format(line.remaining_before),
                    currency.format(line.setoff),
                    currency.format(line.remaining_after),
                ]
            )
        return response
    if fmt == "pdf":
        pdf = notices.notice_pdf(run=run, member=request.user, lines=lines)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="setoff-notice-run-{run.pk}.pdf"'
        return response
    return render(request, "clearing/notice.html", {"run": run, "lines": lines})
