"""Pages: parse the request, call a service or query, render. No rules live here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.budgeting import engine_io, queries, services
from solidaria.budgeting.forms import (
    CodesForm,
    ImportForm,
    ProcessForm,
    ProjectForm,
    ReviewForm,
    ballot_from_post,
)
from solidaria.budgeting.models import BallotType, Electorate, Phase, Process, Result
from solidaria.core import throttle, visibility
from solidaria.core.errors import CORRECTABLE, DomainError, NotFound, show_on_form
from solidaria.core.permissions import (
    allowed,
    is_member,
    is_steward,
    member_required,
    steward_required,
)
from solidaria.core.textfiles import uploaded_text

SECRET_COOKIE_MAX_AGE = 180 * 24 * 3600


def manager_required(view: Any) -> Any:
    """Page decorator for one process's management: network stewards and the process's
    managers (`budgeting.process.manage` with the process); others get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> Any:
        process = Process.objects.filter(slug=slug).first()
        if process is None:
            raise Http404
        if not allowed(request.user, "budgeting.process.manage", process):
            raise DjangoPermissionDenied
        return view(request, slug, *args, **kwargs)

    return wrapper


def _process(request: HttpRequest, slug: str) -> Process:
    """The process; a members-only one asks a visitor to log in (core.middleware)."""
    return queries.process_for(request.user, slug)


def _voter_tag(request: HttpRequest, process: Process, code: str = "") -> str | None:
    """Who this browser votes as: the member, or the voting code typed in this request.

    The ballot-secret cookie is bound to it (in its name and signature), so on a shared
    browser one voter can neither read nor change another voter's ballot; a code voter's
    cookie is only usable together with the code.
    """
    if process.electorate == Electorate.MEMBERS:
        return f"m{request.user.pk}" if is_member(request.user) else None
    return f"c{services.hash_code(code)[:16]}" if code.strip() else None


def secret_cookie_name(process: Process, voter: str) -> str:
    return f"pb_ballot_{process.pk}_{voter}"


def _read_secret(request: HttpRequest, process: Process, voter: str | None) -> str:
    if voter is None:
        return ""
    value: str = request.get_signed_cookie(
        secret_cookie_name(process, voter),
        default="",
        salt=f"solidaria.budgeting.ballot:{voter}",
    )
    return value


def _act(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service; show its refusal as a message. True when it succeeded."""
    try:
        action()
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def home(request: HttpRequest) -> HttpResponse:
    processes = queries.visible_processes(request.user)
    return render(
        request,
        "budgeting/home.html",
        {
            "processes": processes,
            "hidden_count": visibility.hidden_count(request.user, Process.objects.all()),
            "is_steward": is_steward(request.user),
        },
    )


@steward_required
def process_new(request: HttpRequest) -> HttpResponse:
    form = ProcessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        settings = services.ProcessSettings(
            title=data["title"],
            slug=data["slug"] or "",
            description=data["description"],
            currency=data["currency"],
            currency_exponent=data["currency_exponent"],
            budget_minor=data["budget"],
            electorate=data["electorate"],
            ballot_type=data["ballot_type"],
            min_length=data["min_length"],
            max_length=data["max_length"],
            max_sum_cost=data["max_sum_cost"],
            max_points=data["max_points"],
            max_sum_points=data["max_sum_points"],
            rule=data["rule"],
            completion=data["completion"],
            rule_parameters=data["rule_parameters"],
            visibility=data["visibility"],
        )
        schedule: dict[str, tuple[datetime | None, datetime | None]] = {
            Phase.SUBMISSION: (None, data["submission_ends"]),
            Phase.VOTING: (data["voting_starts"], data["voting_ends"]),
        }
        try:
            process = services.process_create(
                actor=request.user, settings=settings, schedule=schedule
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The process was created."))
            return redirect("budgeting:process", slug=process.slug)
    return render(request, "budgeting/process_form.html", {"form": form})


@steward_required
def process_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            process = services.process_import_pabulib(
                actor=request.user,
                text=uploaded_text(upload.read()),
                source=upload.name,
                slug=form.cleaned_data["slug"] or "",
                title=form.cleaned_data["title"] or "",
            )
        except CORRECTABLE as exc:
            form.add_error("file", f"{upload.name}: {exc.message}")
        else:
            messages.success(request, _("The process was imported."))
            return redirect("budgeting:process", slug=process.slug)
    return render(request, "budgeting/import.html", {"form": form})


def process_detail(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    projects = [
        {"project": p, "cost_text": queries.money(process, p.cost_minor)}
        for p in process.projects.all().order_by("id")
    ]
    return render(
        request,
        "budgeting/process.html",
        {
            "process": process,
            "projects": projects,
            "steps": queries.phase_steps(process),
            "budget_text": queries.money(process, process.budget_minor),
            "is_steward": allowed(request.user, "budgeting.process.manage", process),
            "is_member": is_member(request.user),
            "is_voting_open": services.is_voting_open(process),
            "has_result": queries.result_for(request.user, process) is not None,
            "codes_count": process.codes.count(),
            "receipts_count": process.receipts.count(),
            "ballots_count": process.ballots.count(),
        },
    )


@member_required
def project_new(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    form = ProjectForm(request.POST or None, process=process)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_submit(
                actor=request.user,
                process=process,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                cost_minor=form.cleaned_data["cost"],
                category=form.cleaned_data["category"],
                district=form.cleaned_data["district"],
            )
        except CORRECTABLE as exc:
            form.add_error("cost" if exc.field == "cost_minor" else None, exc.message)
        else:
            messages.success(request, _("Thank you: your proposal was submitted."))
            return redirect("budgeting:process", slug=process.slug)
    return render(request, "budgeting/project_form.html", {"form": form, "process": process})


@manager_required
def project_review(request: HttpRequest, slug: str, project_id: int) -> HttpResponse:
    process = _process(request, slug)
    try:
        project = queries.project_or_404(process, project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = ReviewForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_review(
                actor=request.user,
                project=project,
                status=form.cleaned_data["status"],
                cost_minor=form.cleaned_data["cost"],
                note=form.cleaned_data["note"],
            )
        except CORRECTABLE as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The review was saved."))
            return redirect("budgeting:process", slug=process.slug)
    return render(
        request,
        "budgeting/review_form.html",
        {
            "form": form,
            "process": process,
            "project": project,
            "cost_text": queries.money(process, project.cost_minor),
        },
    )


@member_required
@require_POST
def project_withdraw(request: HttpRequest, slug: str, project_id: int) -> HttpResponse:
    process = _process(request, slug)
    try:
        project = queries.project_or_404(process, project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    _act(
        request,
        lambda: services.project_withdraw(actor=request.user, project=project),
        _("The project was withdrawn."),
    )
    return redirect("budgeting:process", slug=process.slug)


@manager_required
@require_POST
def phase_advance(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    _act(
        request,
        lambda: services.phase_advance(actor=request.user, process=process),
        _("The process moved to its next phase."),
    )
    return redirect("budgeting:process", slug=process.slug)


@manager_required
def codes(request: HttpRequest, slug: str) -> HttpResponse:
    """Generate voting codes: shown once on the page, or downloaded once as CSV."""
    process = _process(request, slug)
    form = CodesForm(request.POST or None)
    new_codes: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            new_codes = services.codes_generate(
                actor=request.user, process=process, count=form.cleaned_data["count"]
            )
        except CORRECTABLE as exc:
            form.add_error("count", exc.message)
        else:
            if request.POST.get("format") == "csv":
                response = HttpResponse(queries.codes_csv(new_codes), content_type="text/csv")
                response["Content-Disposition"] = (
                    f'attachment; filename="{process.slug}-voting-codes.csv"'
                )
                response["Cache-Control"] = "no-store"
                return response
    response = render(
        request,
        "budgeting/codes.html",
        {"process": process, "form": form, "new_codes": new_codes, "total": process.codes.count()},
    )
    response["Cache-Control"] = "no-store"
    return response


def vote(request: HttpRequest, slug: str) -> HttpResponse:
    """The ballot. Members must be logged in for member processes; residents give a code."""
    process = _process(request, slug)
    if process.electorate == Electorate.MEMBERS and not is_member(request.user):
        if request.user.is_authenticated:
            raise DjangoPermissionDenied(_("Only admitted members of the network vote here."))
        return redirect(f"{_login_url()}?next={request.path}")
    projects = list(queries.ballot_projects(process))
    code = request.POST.get("code", "")
    voter = _voter_tag(request, process, code)
    secret = _read_secret(request, process, voter)
    identity = services.voter_identity(process, request.user, code)
    current = queries.ballot_by_secret(process, secret, identity)
    error, status = "", 422
    if request.method == "POST":
        try:
            chosen, points = ballot_from_post(process, request.POST, projects)
            outcome = services.ballot_cast(
                actor=request.user,
                process=process,
                projects=chosen,
                points=points,
                code=code,
                secret=request.POST.get("secret", "").strip() or secret,
                client=throttle.client_address(request),
            )
        except django_forms.ValidationError as exc:
            error = " ".join(exc.messages)
        except DomainError as exc:  # shown on the ballot, with its status (403, 422, 429)
            error, status = exc.message, exc.status_code
        else:
            response = render(
                request,
                "budgeting/voted.html",
                {"process": process, "secret": outcome.secret, "is_change": outcome.is_change},
            )
            voter = voter or "anonymous"
            response.set_signed_cookie(
                secret_cookie_name(process, voter),
                outcome.secret,
                salt=f"solidaria.budgeting.ballot:{voter}",
                max_age=SECRET_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            response["Cache-Control"] = "no-store"
            return response
    chosen_codes, chosen_points = current if current else ([], [])
    rows = []
    for p in projects:
        position = chosen_codes.index(p.code) if p.code in chosen_codes else -1
        rows.append(
            {
                "project": p,
                "cost_text": queries.money(process, p.cost_minor),
                "is_chosen": position >= 0,
                "points": chosen_points[position] if position >= 0 and chosen_points else "",
                "rank": position + 1 if position >= 0 else "",
            }
        )
    status = status if error else 200
    response = render(
        request,
        "budgeting/vote.html",
        {
            "process": process,
            "rows": rows,
            "error": error,
            "has_ballot": current is not None,
            "needs_code": process.electorate == Electorate.CODES,
            "is_open": services.is_voting_open(process),
            "rules": queries.ballot_rules_text(process),
            "BallotType": {t.name: t.value for t in BallotType},
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _login_url() -> str:
    from django.conf import settings
    from django.urls import reverse

    return reverse(settings.LOGIN_URL)


@manager_required
@require_POST
def count(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    try:
        result = services.count_request(actor=request.user, process=process)
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
        return redirect("budgeting:process", slug=process.slug)
    if result is None:
        messages.info(request, _("The count runs in the background; reload this page later."))
    else:
        messages.success(request, _("The ballots were counted. Check the result, then publish."))
    return redirect("budgeting:results", slug=process.slug)


@manager_required
@require_POST
def publish(request: HttpRequest, slug: str, result_id: int) -> HttpResponse:
    process = _process(request, slug)
    result = Result.objects.filter(process=process, pk=result_id).first()
    if result is None:
        raise Http404
    _act(
        request,
        lambda: services.result_publish(actor=request.user, result=result),
        _("The result is published."),
    )
    return redirect("budgeting:results", slug=process.slug)


def _result_or_404(request: HttpRequest, process: Process) -> Result:
    result = queries.result_for(request.user, process)
    if result is None:
        raise Http404(_("No published result yet."))
    return result


def results(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    result = queries.result_for(request.user, process)
    if result is None:
        return render(request, "budgeting/results.html", {"process": process, "result": None})
    rows = queries.result_rows(result)
    funded = [r for r in rows if r.get("selected")]
    return render(
        request,
        "budgeting/results.html",
        {
            "process": process,
            "result": result,
            "rows": rows,
            "funded": funded,
            "chart": queries.support_cost_chart(result),
            "budget_text": queries.money(process, result.budget_minor),
            "cost_text": queries.money(process, result.total_cost_minor),
            "is_steward": allowed(request.user, "budgeting.process.manage", process),
            "parameters": sorted(result.parameters.items()),
        },
    )


def _download(body: str, filename: str, content_type: str = "text/csv") -> HttpResponse:
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    result = _result_or_404(request, process)
    return _download(queries.results_csv(result), f"{process.slug}-results.csv")


def ballots_csv(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    _result_or_404(request, process)  # ballots are public once a result is
    return _download(queries.ballots_csv(process), f"{process.slug}-ballots.csv")


def pabulib_export(request: HttpRequest, slug: str) -> HttpResponse:
    process = _process(request, slug)
    result = _result_or_404(request, process)
    return _download(
        engine_io.pabulib_text(process, result), f"{process.slug}.pb", content_type="text/plain"
    )
