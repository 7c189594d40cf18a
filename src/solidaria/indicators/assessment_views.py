"""Assessment pages: open, fill in one part at a time (autosave), evidence, submit,
peer review, sign-off, publication, the published balance and network aggregates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE
from solidaria.core.models import Visibility
from solidaria.core.money import format_minor
from solidaria.core.permissions import allowed, member_required, require, steward_required
from solidaria.directory.operators import organisations_run_by
from solidaria.indicators import assessment_queries as q
from solidaria.indicators import assessments as svc
from solidaria.indicators import company_facts
from solidaria.indicators.company_facts import explain, list_title, other_suppliers_costs
from solidaria.indicators.engine.catalogue import EcgCatalogue
from solidaria.indicators.engine.ecg import display
from solidaria.indicators.forms import FactsForms
from solidaria.indicators.models import Assessment, Evidence


class OpenForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_lazy("Organisation"), coerce=int)
    year = forms.IntegerField(label=_lazy("Year"), min_value=2000)
    catalogue = forms.ChoiceField(label=_lazy("Catalogue"))

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations_run_by(user)]
        self.fields["catalogue"].choices = svc.catalogue_choices()
        self.fields["year"].initial = timezone.now().year - 1


class EvidenceForm(forms.Form):
    code = forms.ChoiceField(label=_lazy("For"))
    link = forms.URLField(
        label=_lazy("Link"), required=False, max_length=500, assume_scheme="https"
    )
    file = forms.FileField(
        label=_lazy("or a file"),
        required=False,
        help_text=_lazy("PDF, image, spreadsheet or text, at most 5 MB."),
    )
    note = forms.CharField(label=_lazy("Note"), required=False, max_length=300)


class PublishForm(forms.Form):
    visibility = forms.ChoiceField(label=_lazy("Who may see the balance"), choices=Visibility)


class AuditorForm(forms.Form):
    username = forms.CharField(label=_lazy("Username"), max_length=150)
    reason = forms.CharField(label=_lazy("Reason"), max_length=500)


class CatalogueForm(forms.Form):
    file = forms.FileField(label=_lazy("Catalogue (JSON)"))


def _assessment(pk: int, user: Any) -> Assessment:
    found = Assessment.objects.select_related("organisation").filter(pk=pk).first()
    if found is None or not allowed(user, "indicators.assessment.read", found):
        raise Http404(_("There is no such assessment, or it is not open to you."))
    return found


def _parts(assessment: Assessment) -> list[dict[str, Any]]:
    """The parts the form is split into: an ECG topic, or a questionnaire section."""
    cat = svc.catalogue_of(assessment.catalogue_key)
    if isinstance(cat, EcgCatalogue):
        return [
            {
                "key": t.code,
                "title": f"{t.code} {t.name}",
                "fields": [
                    {
                        "code": a.code,
                        "label": a.name,
                        "low": 0 if a.is_positive else -200,
                        "high": 10 if a.is_positive else 0,
                        "value": assessment.answers.get(a.code, ""),
                        "split": [],
                    }
                    for a in t.aspects
                ],
            }
            for t in cat.topics
        ]
    parts = []
    for g in cat.groups:  # type: ignore[union-attr]
        for n, s in enumerate(g.sections, 1):
            parts.append(
                {
                    "key": f"{g.code}-{n}",
                    "title": f"{g.name} · {s.name}" if s.name != g.name else g.name,
                    "fields": [
                        {
                            "code": i.code,
                            "label": i.label,
                            "value": assessment.answers.get(i.code, ""),
                            "split": [
                                (
                                    i.code + suffix,
                                    label,
                                    assessment.answers.get(i.code + suffix, ""),
                                )
                                for suffix, label in (
                                    ("d", _("women")),
                                    ("h", _("men")),
                                    ("a", _("non-binary")),
                                )
                            ]
                            if i.split_by_gender
                            else [],
                        }
                        for i in s.items
                    ],
                }
            )
    return parts


def assessments(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = Assessment.objects.none()
    to_review: list[Assessment] = []
    to_sign: list[Assessment] = []
    runs = list(organisations_run_by(user)) if user.is_authenticated else []
    if runs:
        mine = Assessment.objects.filter(organisation__in=runs).select_related("organisation")
        to_review = [
            a
            for a in Assessment.objects.filter(status=Assessment.Status.SUBMITTED)
            .exclude(organisation__in=runs)
            .select_related("organisation")
        ]
    if user.is_authenticated and allowed(user, "indicators.assessment.signoff"):
        to_sign = list(
            Assessment.objects.filter(status=Assessment.Status.SUBMITTED).select_related(
                "organisation"
            )
        )
    return render(
        request,
        "indicators/assessment_list.html",
        {
            "published": q.published(user).order_by("-year", "organisation__name"),
            "mine": mine,
            "to_review": to_review,
            "to_sign": to_sign,
            "form": OpenForm(user) if runs else None,
            "auditor_form": AuditorForm() if allowed(user, "indicators.auditor.grant") else None,
            "auditors": svc.auditors() if user.is_authenticated else [],
            "catalogues": svc.catalogue_choices(),
        },
    )


@member_required
@require_POST
def assessment_new(request: HttpRequest) -> HttpResponse:
    runs = list(organisations_run_by(request.user))
    if not runs:
        raise PermissionDenied(_("Only the people who run an organisation may open an assessment."))
    form = OpenForm(request.user, request.POST)
    if form.is_valid():
        org = next(o for o in runs if o.pk == form.cleaned_data["organisation"])
        try:
            found = svc.assessment_open(
                actor=request.user,
                organisation=org,
                year=form.cleaned_data["year"],
                catalogue_key=form.cleaned_data["catalogue"],
            )
        except CORRECTABLE as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("indicators:assessment", pk=found.pk)
    return render(
        request,
        "indicators/assessment_list.html",
        {"published": q.published(request.user), "mine": [], "form": form},
        status=422,
    )


def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    if found.status == Assessment.Status.PUBLISHED and not q.may_edit(request.user, found):
        return redirect("indicators:balance", pk=found.pk)
    return _detail(request, found)


def _detail(
    request: HttpRequest, found: Assessment, *, error: str = "", status: int = 200, **extra: Any
) -> HttpResponse:
    parts = _parts(found)
    key = request.GET.get("part") or request.POST.get("part") or parts[0]["key"]
    current = next((p for p in parts if p["key"] == key), parts[0])
    user = request.user
    editable = q.may_edit(user, found) and found.status in (
        Assessment.Status.DRAFT,
        Assessment.Status.SUBMITTED,
    )
    context: dict[str, Any] = {
        "a": found,
        "parts": parts,
        "part": current,
        "editable": editable,
        "error": error,
        "evidence": found.evidence.all(),
        "reviews": found.reviews.select_related("organisation", "reviewer"),
        "versions": found.versions.all(),
        "may_review": found.status == Assessment.Status.SUBMITTED
        and bool(svc.reviewer_organisations(user, found)),
        "may_sign": found.status == Assessment.Status.SUBMITTED
        and allowed(user, "indicators.assessment.signoff", found),
        "may_publish": q.may_edit(user, found)
        and found.status in (Assessment.Status.SIGNED_OFF, Assessment.Status.PUBLISHED),
        "publish_form": PublishForm(initial={"visibility": found.visibility}),
        "is_ecg": found.catalogue_kind == "ecg",
    }
    if found.catalogue_kind == "ecg":
        try:
            balance = svc.ecg_balance(found)
        except ValueError:
            context["balance_error"] = _(
                "The points cannot be computed from these facts and weights: check that "
                "some topic weighs more than 0."
            )
        else:
            context["total"] = display(balance.total)
            context["topic_points"] = [
                {"code": t.code, "points": display(t.points), "max": display(t.max_points)}
                for t in balance.topics
            ]
            context["weights"] = explain(
                company_facts.to_engine(found.facts),
                balance.analysis,
                balance.derived_topic_weights,
                balance.stakeholder_weights,
            )
        context["facts_forms"] = extra.pop("facts_forms", None) or FactsForms(
            found.facts, more=request.GET.get("add", "")
        )
        context["facts_lists"] = [
            (name, list_title(name), formset)
            for name, formset in context["facts_forms"].lists.items()
        ]
        context["other_suppliers"] = format_minor(
            other_suppliers_costs(found.facts), exponent=company_facts.EXPONENT
        )
    form = extra.pop("evidence_form", None) or EvidenceForm()
    form.fields["code"].choices = [(f["code"], f["code"]) for p in parts for f in p["fields"]]
    context["evidence_form"] = form
    if found.catalogue_kind == "ecg":
        for review in context["reviews"]:
            proposed = {c: e["estimation"] for c, e in review.entries.items() if e["estimation"]}
            if proposed:
                review.proposed_total = display(
                    svc.ecg_balance(found, {**found.answers, **proposed}).total
                )
    context.update(extra)
    return render(request, "indicators/assessment_detail.html", context, status=status)


@member_required
@require_POST
def assessment_answers(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    require(request.user, "indicators.assessment.edit", found)
    parts = {p["key"]: p for p in _parts(found)}
    part = parts.get(request.POST.get("part", ""))
    if part is None:
        raise Http404(_("There is no such part."))
    codes = [f["code"] for f in part["fields"]] + [
        code for f in part["fields"] for code, _label, _value in f["split"]
    ]
    answers = {c: request.POST.get(c, "") for c in codes}
    autosave = request.headers.get("X-Autosave") == "1"
    try:
        svc.answers_save(actor=request.user, assessment=found, answers=answers)
    except CORRECTABLE as exc:
        if autosave:
            return JsonResponse({"saved": False, "message": str(exc.message)}, status=422)
        return _detail(request, found, error=exc.message, status=422)
    if autosave:
        return JsonResponse({"saved": True, "message": _("Saved.")})
    messages.success(request, _("Saved."))
    return redirect(
        reverse("indicators:assessment", kwargs={"pk": found.pk}) + f"?part={part['key']}"
    )


@member_required
@require_POST
def assessment_facts(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    require(request.user, "indicators.assessment.edit", found)
    given = FactsForms(found.facts, request.POST)
    autosave = request.headers.get("X-Autosave") == "1"
    problems = [] if given.is_valid() else given.errors()
    if not problems:
        try:
            svc.facts_save(actor=request.user, assessment=found, facts=given.facts())
        except CORRECTABLE as exc:
            problems = [exc.message]
    if problems:
        if autosave:
            return JsonResponse({"saved": False, "message": problems[0]}, status=422)
        return _detail(request, found, status=422, facts_forms=given, facts_errors=problems)
    if autosave:
        return JsonResponse({"saved": True, "message": _("Saved.")})
    # the button's name is not "action": it would hide the form's action from the script
    action = request.POST.get("step", "")
    url = reverse("indicators:assessment", kwargs={"pk": found.pk})
    if action.startswith("add-") and action[4:] in given.lists:
        return redirect(f"{url}?add={action[4:]}#facts-{action[4:]}")
    messages.success(request, _("The company facts are saved; the weights follow them."))
    return redirect(f"{url}#facts")


@member_required
@require_POST
def assessment_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    require(request.user, "indicators.assessment.edit", found)
    form = EvidenceForm(request.POST, request.FILES)
    form.fields["code"].choices = [
        (f["code"], f["code"]) for p in _parts(found) for f in p["fields"]
    ]
    if form.is_valid():
        try:
            svc.evidence_add(
                actor=request.user,
                assessment=found,
                code=form.cleaned_data["code"],
                link=form.cleaned_data["link"],
                file=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except CORRECTABLE as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The evidence is attached."))
            return redirect("indicators:assessment", pk=found.pk)
    return _detail(request, found, status=422, evidence_form=form)


def evidence_file(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    item = get_object_or_404(Evidence, pk=evidence_id, assessment=found)
    if not item.file:
        raise Http404(_("This evidence is a link."))
    return FileResponse(item.file.open("rb"), as_attachment=True)


@member_required
@require_POST
def assessment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    require(request.user, "indicators.assessment.edit", found)
    return _step(
        request,
        found,
        lambda: svc.assessment_submit(actor=request.user, assessment=found),
        _("Submitted: peers of two other organisations will review it."),
        "indicators:assessment",
    )


def _step(
    request: HttpRequest,
    found: Assessment,
    call: Callable[[], object],
    success: str,
    target: str,
) -> HttpResponse:
    """One workflow step from the detail page: on a correctable refusal the page again
    (422) with the reason, else the success message and a redirect to `target`."""
    try:
        call()
    except CORRECTABLE as exc:
        return _detail(request, found, error=exc.message, status=422)
    messages.success(request, success)
    return redirect(target, pk=found.pk)


@member_required
def assessment_review(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    orgs = svc.reviewer_organisations(request.user, found)
    if found.status != Assessment.Status.SUBMITTED or not orgs:
        raise PermissionDenied(
            _("Only operators of another organisation may review a submitted assessment.")
        )
    parts = _parts(found)
    error = ""
    if request.method == "POST":
        org = next((o for o in orgs if str(o.pk) == request.POST.get("organisation")), None)
        entries = {
            f["code"]: {
                "comment": request.POST.get(f"comment-{f['code']}", ""),
                "estimation": request.POST.get(f"estimation-{f['code']}", ""),
            }
            for p in parts
            for f in p["fields"]
        }
        try:
            svc.review_submit(
                actor=request.user,
                assessment=found,
                organisation=org,
                entries=entries,
                summary=request.POST.get("summary", ""),
            )
        except CORRECTABLE as exc:
            error = exc.message
        else:
            messages.success(request, _("Your review is sent."))
            return redirect("indicators:assessment", pk=found.pk)
    return render(
        request,
        "indicators/assessment_review.html",
        {"a": found, "parts": parts, "orgs": orgs, "error": error},
        status=422 if error else 200,
    )


@member_required
@require_POST
def assessment_signoff(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    require(request.user, "indicators.assessment.signoff", found)
    return _step(
        request,
        found,
        lambda: svc.assessment_signoff(actor=request.user, assessment=found),
        _("Signed off: its organisation may now publish it."),
        "indicators:assessment",
    )


@member_required
@require_POST
def assessment_publish(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    require(request.user, "indicators.assessment.edit", found)
    return _step(
        request,
        found,
        lambda: svc.assessment_publish(
            actor=request.user, assessment=found, visibility=request.POST.get("visibility", "")
        ),
        _("The balance is published."),
        "indicators:balance",
    )


def balance(request: HttpRequest, pk: int) -> HttpResponse:
    found = _assessment(pk, request.user)
    if found.status != Assessment.Status.PUBLISHED:
        raise Http404(_("This balance is not published."))
    context: dict[str, Any] = {"a": found, "earlier": q.earlier_years(found, request.user)}
    if found.catalogue_kind == "ecg":
        context["matrix"] = q.matrix(found)
        context["by_topic"] = q.comparison(context["earlier"])
    else:
        context["groups"] = q.questionnaire(found)
    return render(request, "indicators/balance.html", context)


def network_balances(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "indicators/balances_network.html",
        {"years": q.aggregates(request.user), "minimum": q.MIN_ORGANISATIONS},
    )


@steward_required
def catalogue_import(request: HttpRequest) -> HttpResponse:
    form = CatalogueForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = svc.catalogue_import(actor=request.user, raw=form.cleaned_data["file"].read())
        except CORRECTABLE as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("Catalogue %(title)s imported.") % {"title": found.title})
            return redirect("indicators:assessments")
    return render(
        request,
        "indicators/catalogue_import.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@steward_required
@require_POST
def auditor_grant(request: HttpRequest) -> HttpResponse:
    from solidaria.accounts.models import User

    form = AuditorForm(request.POST)
    if form.is_valid():
        person = User.objects.filter(username=form.cleaned_data["username"]).first()
        if person is None:
            form.add_error("username", _("Nobody has this username."))
        else:
            try:
                svc.auditor_grant(
                    actor=request.user, user=person, reason=form.cleaned_data["reason"]
                )
            except CORRECTABLE as exc:
                form.add_error("reason", exc.message)
            else:
                messages.success(
                    request, _("%(name)s is now an external auditor.") % {"name": person}
                )
                return redirect("indicators:assessments")
    return render(
        request,
        "indicators/assessment_list.html",
        {"published": q.published(request.user), "auditor_form": form},
        status=422,
    )


def catalogue_json(request: HttpRequest, key: str) -> HttpResponse:
    """A catalogue as JSON, to edit and import again (shipped ones and the network's)."""
    from solidaria.indicators.engine.catalogue import catalogue_to_dict

    if key not in dict(svc.catalogue_choices()):
        raise Http404(_("There is no such catalogue."))
    response = JsonResponse(
        catalogue_to_dict(svc.catalogue_of(key)), json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Disposition"] = f'attachment; filename="{key}.json"'
    return response
