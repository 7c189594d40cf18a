from __future__ import annotations

import csv
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.clearing import notices, queries, services
from solidaria.clearing.forms import DecisionForm, ImportForm, ObligationForm, RunStartForm
from solidaria.clearing.models import ClearingRun
from solidaria.core.errors import CORRECTABLE
from solidaria.core.money import AmountError, parse_minor
from solidaria.core.permissions import is_steward, member_required, steward_required


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
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    context = {
        "form": form,
        "obligations": queries.obligations_for(request.user)[:200],
        "to_confirm": queries.awaiting_my_confirmation(request.user),
        "runs": ClearingRun.objects.select_related("currency")[:20]
        if is_steward(request.user)
        else [],
        "run_form": RunStartForm(prefix="run") if is_steward(request.user) else None,
        "import_form": ImportForm(prefix="import") if is_steward(request.user) else None,
    }
    return render(request, "clearing/home.html", context)


@member_required
@require_POST
def obligation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        if action == "confirm":
            services.obligation_confirm(actor=request.user, obligation=pk)
            messages.success(request, _("Confirmed."))
        elif action == "dispute":
            services.obligation_dispute(
                actor=request.user, obligation=pk, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Marked as disputed."))
        else:
            raise Http404
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect("clearing:home")


@steward_required
@require_POST
def import_obligations(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES, prefix="import")
    if form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
            report = services.obligations_import(
                actor=request.user,
                currency=form.cleaned_data["currency"],
                text=text,
                confirm_both=form.cleaned_data["confirm_both"],
            )
            messages.success(request, _("Imported %(n)s obligations.") % {"n": report.created})
        except UnicodeDecodeError:
            messages.error(request, _("The file is not UTF-8 text."))
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
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


@member_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    positions = queries.member_positions(run) if run.summary else []
    scale = max([max(p.owes_before, p.owed_before) for p in positions] or [1]) or 1
    names = queries.usernames(sorted({m for c in run.cycles for m in c.get("members", [])}))
    cycles = [
        {"members": [names.get(m, str(m)) for m in c["members"]], "amount": c["amount"]}
        for c in run.cycles
    ]
    template = "clearing/_run_status.html" if request.htmx else "clearing/run.html"
    return render(
        request,
        template,
        {
            "run": run,
            "positions": positions,
            "scale": scale,
            "cycles": cycles,
            "decision_form": DecisionForm(),
            "is_steward": is_steward(request.user),
            "my_lines": queries.notice_lines(run, request.user),
        },
    )


@steward_required
@require_POST
def run_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    try:
        if decision == "accept":
            services.run_accept(actor=request.user, run=pk, reason=reason)
            messages.success(request, _("Accepted: every set-off was applied."))
        elif decision == "reject":
            services.run_reject(actor=request.user, run=pk, reason=reason)
            messages.success(request, _("Rejected: nothing changed."))
        else:
            raise Http404
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
        writer = csv.writer(response)
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
