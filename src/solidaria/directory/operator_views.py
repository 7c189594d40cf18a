"""Pages about who runs an organisation: claiming it, a steward's decision, leaving or
removing, and what its page publishes. Every write goes through `directory.operators`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE
from solidaria.core.permissions import member_required, steward_required
from solidaria.directory import operators
from solidaria.directory.forms import ClaimDecisionForm, ClaimForm, OperatorEndForm, PublishForm
from solidaria.directory.models import Operator


def _of_organisation(org_id: int, operator_id: int) -> None:
    """A claim is reached through its own organisation's address only."""
    if not Operator.objects.filter(pk=operator_id, organisation_id=org_id).exists():
        raise Http404


def _errors(request: HttpRequest, form: ClaimForm | ClaimDecisionForm | PublishForm) -> None:
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))


@require_POST
@member_required
def claim(request: HttpRequest, org_id: int) -> HttpResponse:
    form = ClaimForm(request.POST)
    if form.is_valid():
        try:
            operators.operator_claim(
                actor=request.user, org_id=org_id, reason=form.cleaned_data["reason"]
            )
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Thank you. A steward of the network will confirm your claim.")
            )
    else:
        _errors(request, form)
    return redirect("directory:detail", org_id=org_id)


@require_POST
@steward_required
def decide(request: HttpRequest, org_id: int, operator_id: int) -> HttpResponse:
    _of_organisation(org_id, operator_id)
    form = ClaimDecisionForm(request.POST)
    if form.is_valid():
        try:
            operators.operator_decide(
                actor=request.user,
                operator_id=operator_id,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The decision was recorded."))
    else:
        _errors(request, form)
    if request.POST.get("next") == "review":
        return redirect("directory:review")
    return redirect("directory:detail", org_id=org_id)


@require_POST
@login_required
def end(request: HttpRequest, org_id: int, operator_id: int) -> HttpResponse:
    _of_organisation(org_id, operator_id)
    form = OperatorEndForm(request.POST)
    form.is_valid()
    try:
        claim = operators.operator_end(
            actor=request.user,
            operator_id=operator_id,
            reason=form.cleaned_data.get("reason", ""),
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    else:
        if claim.user_id == request.user.pk:
            messages.success(request, _("You no longer run this organisation here."))
        else:
            messages.success(request, _("This person no longer runs the organisation here."))
    return redirect("directory:detail", org_id=org_id)


@require_POST
@member_required
def publish(request: HttpRequest, org_id: int) -> HttpResponse:
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        operators.organisation_publish(
            actor=request.user,
            org_id=org_id,
            shows_coop_facts=form.cleaned_data.get("shows_coop_facts", False),
            shows_listings=form.cleaned_data.get("shows_listings", False),
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved: the page shows what you chose."))
    return redirect("directory:detail", org_id=org_id)
