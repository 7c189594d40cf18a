"""Governance pages: co-ops, members, the capital register, polls and surplus allocation.

Every page needs a login; a co-op's inside (register, polls, allocations) is for its
members and stewards; writes go through `services`, whose refusals become messages.
"""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core import visibility
from solidaria.core.errors import CORRECTABLE, show_on_form
from solidaria.core.models import Visibility
from solidaria.core.permissions import is_member, member_required
from solidaria.core.textfiles import safe_writer
from solidaria.governance import capital_views, forms, labels, pdf, queries, services
from solidaria.governance.models import AllocationRun, Cooperative, Membership, Poll


def _coop(slug: str) -> Cooperative:
    return get_object_or_404(Cooperative.objects.select_related("currency"), slug=slug)


def _inside(request: HttpRequest, coop: Cooperative) -> None:
    if not queries.may_see_inside(request.user, coop):
        raise DjangoPermissionDenied


def _steward_only(request: HttpRequest, coop: Cooperative) -> None:
    if not queries.is_coop_steward(request.user, coop):
        raise DjangoPermissionDenied


def home(request: HttpRequest) -> HttpResponse:
    """Members see every co-op; visitors the public ones (and are asked to log in for more)."""
    memberships = (
        Membership.objects.filter(user=request.user).select_related("coop", "member_class")
        if request.user.is_authenticated
        else []
    )
    coops = queries.coops_for(request.user)
    return render(
        request,
        "governance/home.html",
        {
            "coops": visibility.readable(request.user, coops),
            "hidden_count": visibility.hidden_count(request.user, coops),
            "memberships": memberships,
            "open_polls": queries.open_polls_for(request.user)[:20],
        },
    )


def coop_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Members read every co-op's page; a public co-op's page (without its register) is
    read by anyone, with its public polls."""
    coop = _coop(slug)
    visibility.require_view(request.user, "governance.coop.view", coop)
    membership = queries.active_membership(request.user, coop)
    is_inside = queries.may_see_inside(request.user, coop)
    pending = (
        Membership.objects.filter(user=request.user, coop=coop, status="applied").first()
        if is_member(request.user)
        else None
    )
    context: dict[str, Any] = {
        "is_member": is_member(request.user),
        "public_polls": []
        if is_inside
        else [
            {"poll": p, "outcome": labels.outcome_label(p.result.outcome)}
            if p.is_closed and hasattr(p, "result")
            else {"poll": p, "outcome": ""}
            for p in coop.polls.filter(visibility=Visibility.PUBLIC).select_related("result")[:50]
        ],
        "coop": coop,
        "membership": membership,
        "pending": pending,
        "is_inside": is_inside,
        "is_steward": queries.is_coop_steward(request.user, coop),
        "classes": coop.classes.all(),
        "share_types": coop.share_types.all(),
        "electorate": queries.electorate(coop),
        "apply_form": forms.ApplyForm(coop=coop),
    }
    if is_inside:
        context.update(
            {
                "polls": [
                    {"poll": p, "outcome": labels.outcome_label(p.result.outcome)}
                    if p.is_closed and hasattr(p, "result")
                    else {"poll": p, "outcome": ""}
                    for p in coop.polls.select_related("result")[:50]
                ],
                "runs": queries.allocation_runs(coop),
                "applications": coop.memberships.filter(status="applied").select_related(
                    "user", "member_class"
                ),
                "bylaws": coop.bylaws.all(),
            }
        )
    return render(request, "governance/coop_detail.html", context)


def _run(request: HttpRequest, redirect_to: str, work: Any, ok: str) -> HttpResponse:
    try:
        work()
        messages.success(request, ok)
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return redirect(redirect_to)


@member_required
@require_POST
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    form = forms.ApplyForm(request.POST, coop=coop)
    if not form.is_valid():
        messages.error(request, _("Choose a member class."))
        return redirect("governance:coop", slug=slug)
    return _run(
        request,
        reverse("governance:coop", kwargs={"slug": slug}),
        lambda: services.membership_apply(
            actor=request.user,
            coop=coop,
            member_class=form.cleaned_data["member_class"],
            motivation=form.cleaned_data["motivation"],
        ),
        _("Your application was sent to the stewards."),
    )


@member_required
@require_POST
def membership_action(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    coop = _coop(slug)
    membership = get_object_or_404(Membership, pk=membership_id, coop=coop)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    target = reverse("governance:coop", kwargs={"slug": slug})

    def work() -> Any:
        if action in ("approve", "reject"):
            return services.membership_decide(
                actor=request.user,
                membership=membership,
                is_approved=action == "approve",
                reason=reason,
            )
        if action == "vote":
            _steward_only(request, coop)
            return services.poll_create(
                actor=request.user,
                coop=coop,
                kind=Poll.Kind.PROPOSAL,
                title=_("Admit %(u)s as a member") % {"u": membership.user.username},
                body=membership.motivation,
                closes_at=djforms.DateTimeField().clean(request.POST.get("closes_at")),
                admission_for=membership,
            )
        if action == "leave":
            return services.membership_end(actor=request.user, membership=membership, reason=reason)
        raise DjangoPermissionDenied

    try:
        return _run(request, target, work, _("Done."))
    except djforms.ValidationError:
        messages.error(request, _("Give the date and time the vote closes."))
        return redirect(target)


@member_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    _inside(request, coop)
    return render(
        request,
        "governance/members.html",
        {
            "coop": coop,
            "memberships": queries.members_of(coop),
            "is_steward": queries.is_coop_steward(request.user, coop),
        },
    )


@member_required
def register(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    _inside(request, coop)
    form = forms.ShareForm(request.POST or None, coop=coop)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            member = queries.find_member(coop, d["member"])
            if d["operation"] == "subscribe":
                services.shares_subscribe(
                    actor=request.user,
                    membership=member,
                    share_type=d["share_type"],
                    quantity=d["quantity"],
                    memo=d["memo"],
                )
            elif d["operation"] == "redeem":
                services.shares_redeem(
                    actor=request.user,
                    membership=member,
                    share_type=d["share_type"],
                    quantity=d["quantity"],
                    memo=d["memo"],
                )
            else:
                services.shares_transfer(
                    actor=request.user,
                    seller=member,
                    buyer=queries.find_member(coop, d["buyer"], field="buyer"),
                    share_type=d["share_type"],
                    quantity=d["quantity"],
                    memo=d["memo"],
                )
            messages.success(request, _("The register was updated."))
            return redirect("governance:register", slug=slug)
        except CORRECTABLE as exc:
            form.add_error(None, exc.message)
    share_types = list(coop.share_types.all())
    rows = [
        {"row": h, "shares": [h.shares.get(t.pk, 0) for t in share_types]}
        for h in queries.holdings(coop)
    ]
    return render(
        request,
        "governance/register.html",
        {
            "coop": coop,
            "entries": queries.register(coop),
            "holdings": rows,
            "share_types": share_types,
            "form": form,
            "coop_account": queries.coop_account(coop),
            "is_steward": queries.is_coop_steward(request.user, coop),
            "membership": queries.active_membership(request.user, coop),
        },
    )


@member_required
def register_csv(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    _inside(request, coop)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{coop.slug}-register.csv"'
    writer = safe_writer(response)
    writer.writerow(
        ["seq", "date", "member", "kind", "share_type", "quantity", "amount_minor", "counterparty"]
    )
    for e in queries.register(coop):
        writer.writerow(
            [
                e.seq,
                e.created_at.date().isoformat(),
                e.membership.user.username,
                e.kind,
                e.share_type.name if e.share_type else "",
                e.quantity,
                e.amount_minor,
                e.counterparty.user.username if e.counterparty else "",
            ]
        )
    return response


@member_required
def certificate(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    coop = _coop(slug)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "member_class"), pk=membership_id, coop=coop
    )
    if membership.user_id != request.user.pk and not queries.is_coop_steward(request.user, coop):
        raise DjangoPermissionDenied
    body = pdf.certificate(membership)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"{coop.slug}-{membership.user.username}-certificate.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --- polls -----------------------------------------------------------------------------


@member_required
def poll_new(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    _steward_only(request, coop)
    form = forms.PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            poll = services.poll_create(actor=request.user, coop=coop, **form.service_kwargs())
            messages.success(request, _("The poll is open."))
            return redirect("governance:poll", pk=poll.pk)
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    return render(request, "governance/poll_form.html", {"coop": coop, "form": form})


def _option_rows(poll: Poll) -> list[dict[str, Any]]:
    return [{"index": i, "name": o} for i, o in enumerate(poll.options)]


def poll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The co-op's members and stewards vote and read everything here; anyone reads a
    public poll's outcome (totals and percentages, never who voted how)."""
    poll = get_object_or_404(Poll.objects.select_related("coop"), pk=pk)
    visibility.require_view(request.user, "governance.poll.view", poll)
    if services.close_if_due(poll):  # fallback when the background task has not run yet
        poll.refresh_from_db()
    if not queries.may_see_inside(request.user, poll.coop):
        if request.method == "POST":
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise DjangoPermissionDenied(_("Only the co-op's members vote in its polls."))
        return _poll_public(request, poll)
    if request.method == "POST":
        try:
            choice = forms.choice_from_post(poll, request.POST)
            services.vote_cast(actor=request.user, poll=poll, choice=choice)
            messages.success(request, _("Your vote was counted."))
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        except djforms.ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("governance:poll", pk=pk)
    is_visible = queries.results_visible(poll, request.user)
    live = None
    if is_visible and not poll.is_closed:
        try:
            live = queries.tally(poll)
        except (ValueError, *CORRECTABLE):
            live = None
    stored = getattr(poll, "result", None) if poll.is_closed else None
    shown = stored or live
    result_view = labels.result_view(poll.kind, shown.outcome, shown.data) if shown else None
    membership = queries.active_membership(request.user, poll.coop)
    is_eligible = (
        membership is not None
        and membership.started_at is not None
        and membership.started_at <= poll.created_at
    )
    return render(
        request,
        "governance/poll_detail.html",
        {
            "poll": poll,
            "coop": poll.coop,
            "options": _option_rows(poll),
            "has_voted": queries.has_voted(poll, request.user),
            "is_eligible": is_eligible,
            "is_visible": is_visible,
            "result": stored,
            "live": live,
            "result_view": result_view,
            "settings_sentences": labels.settings_sentences(poll.kind, poll.settings, poll.seats),
            "raw_settings": labels.raw_settings(poll.settings),
            "outcomes": _outcome_rows(poll, result_view),
            "voters": [
                {"name": v.user.username, "choice": labels.choice_text(poll.kind, v.choice)}
                for v in queries.voters(poll)
            ],
            "is_participation_visible": queries.participation_visible(poll),
            "is_steward": queries.is_coop_steward(request.user, poll.coop),
            "outcome_form": forms.OutcomeForm(),
            "score_range": range(
                int(poll.settings.get("minimum", 0)), int(poll.settings.get("maximum", 5)) + 1
            ),
        },
    )


def _poll_public(request: HttpRequest, poll: Poll) -> HttpResponse:
    """A public poll for people outside the co-op: its question and, once closed (or
    while open when results are not hidden), the count in totals and shares."""
    shown = None
    if poll.is_closed:
        shown = getattr(poll, "result", None)
    elif queries.results_visible(poll, request.user):
        try:
            shown = queries.tally(poll)
        except (ValueError, *CORRECTABLE):
            shown = None
    result_view = labels.result_view(poll.kind, shown.outcome, shown.data) if shown else None
    return render(
        request,
        "governance/poll_public.html",
        {
            "poll": poll,
            "coop": poll.coop,
            "result_view": result_view,
            "data": shown.data if shown else {},
            "outcomes": _outcome_rows(poll, result_view),
            "settings_sentences": labels.settings_sentences(poll.kind, poll.settings, poll.seats),
            "turnout": queries.turnout(poll),
        },
    )


def _outcome_rows(poll: Poll, result_view: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The automatic count's statement is the engine's; people read it in words."""
    rows = []
    for o in poll.outcomes.select_related("author"):
        is_automatic = o.author_id is None and result_view is not None and poll.is_closed
        text = result_view["statement"] if is_automatic and result_view else o.statement
        rows.append(
            {"version": o, "text": text, "engine_text": o.statement if is_automatic else ""}
        )
    return rows


@member_required
@require_POST
def poll_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        reverse("governance:poll", kwargs={"pk": pk}),
        lambda: services.poll_close(actor=request.user, poll=pk),
        _("The poll is closed and counted."),
    )


@member_required
@require_POST
def poll_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        reverse("governance:poll", kwargs={"pk": pk}),
        lambda: services.outcome_add(
            actor=request.user, poll=pk, statement=request.POST.get("statement", "")
        ),
        _("A new version of the outcome was recorded."),
    )


# --- allocation ------------------------------------------------------------------------


@member_required
def bylaws_new(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    _steward_only(request, coop)
    form = forms.BylawsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.bylaws_create(
                actor=request.user,
                coop=coop,
                data=form.cleaned_data["data"],
                effective_from=form.cleaned_data["effective_from"],
            )
            messages.success(request, _("The bylaws version was recorded."))
            return redirect("governance:coop", slug=slug)
        except CORRECTABLE as exc:
            form.add_error("data", exc.message)
    return render(request, "governance/bylaws_form.html", {"coop": coop, "form": form})


@member_required
def allocation_new(request: HttpRequest, slug: str) -> HttpResponse:
    coop = _coop(slug)
    _steward_only(request, coop)
    form = forms.AllocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.allocation_run_create(
                actor=request.user,
                coop=coop,
                year=form.cleaned_data["year"],
                surplus_minor=form.cleaned_data["surplus"],
                patronage=form.cleaned_data["patronage"],
            )
            return redirect("governance:allocation", pk=run.pk)
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    return render(request, "governance/allocation_form.html", {"coop": coop, "form": form})


def _allocation(request: HttpRequest, pk: int) -> AllocationRun:
    run = get_object_or_404(
        AllocationRun.objects.select_related(
            "coop__currency", "bylaws", "hours_currency", "purchases_account"
        ),
        pk=pk,
    )
    _inside(request, run.coop)
    return run


@member_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _allocation(request, pk)
    bars = queries.allocation_chart(run)
    lines = run.lines.select_related("membership__user").order_by("-cents", "account")
    return render(
        request,
        "governance/allocation_detail.html",
        {
            "run": run,
            "coop": run.coop,
            "lines": labels.allocation_rows(list(lines), run.surplus_minor, run.coop.currency),
            "inputs": capital_views.patronage_rows(run),
            **capital_views.allocation_context(run),
            "bylaws_sentences": labels.bylaws_sentences(run.result.get("bylaws", {})),
            "raw_bylaws": labels.raw_settings(run.result.get("bylaws", {})),
            "bars": [
                {"bar": b, "label": b.label if b.kind == "member" else labels.fund_label(b.label)}
                for b in bars
            ],
            "chart_height": len(bars) * 26 + 10,
            "acceptance": getattr(run, "acceptance", None),
            "is_steward": queries.is_coop_steward(request.user, run.coop),
        },
    )


@member_required
def allocation_csv(request: HttpRequest, pk: int) -> HttpResponse:
    run = _allocation(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{run.coop.slug}-allocation-{run.year}-{run.pk}.csv"'
    )
    writer = safe_writer(response)
    writer.writerow(["account", "kind", "cents", "cash_cents", "capital_cents", "exact_cents"])
    for ln in run.lines.order_by("pk"):
        kind = "member" if ln.membership_id else "fund"
        writer.writerow([ln.account, kind, ln.cents, ln.cash_cents, ln.capital_cents, ln.exact])
    return response


@member_required
@require_POST
def allocation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        reverse("governance:allocation", kwargs={"pk": pk}),
        lambda: services.allocation_accept(actor=request.user, run=pk),
        _("The allocation was applied to the ledger and the capital register."),
    )
