"""Network report pages: the years, one year's figures with charts, how each is computed,
and the CSV and JSON-LD exports. Reports are public (a network's transparency)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE
from solidaria.core.permissions import is_steward, steward_required
from solidaria.core.textfiles import safe_writer
from solidaria.indicators import labels, network_catalogue, queries, services
from solidaria.indicators.forms import ComputeForm
from solidaria.indicators.models import NetworkReport


def reports(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "indicators/reports.html",
        {
            "reports": queries.latest_reports(),
            "form": ComputeForm() if is_steward(request.user) else None,
        },
    )


@steward_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    form = ComputeForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            services.report_request(actor=request.user, year=year)
        except CORRECTABLE as exc:
            form.add_error("year", exc.message)
        else:
            messages.success(request, _("The report is being computed."))
            return redirect("indicators:report", year=year)
    return render(
        request,
        "indicators/reports.html",
        {"reports": queries.latest_reports(), "form": form},
        status=422,
    )


def _report(year: int) -> NetworkReport:
    report = queries.report_of(year)
    if report is None:
        raise Http404(labels.NO_REPORT)
    return report


def report(request: HttpRequest, year: int) -> HttpResponse:
    found = _report(year)
    return render(
        request,
        "indicators/report.html",
        {
            "report": found,
            "title": labels.REPORT_TITLE % {"year": found.year},
            "blocks": queries.blocks(found),
            "bar_width": queries.BAR_WIDTH,
            "balances": queries.year_balances(found.year),
        },
    )


def report_csv(request: HttpRequest, year: int) -> HttpResponse:
    found = _report(year)
    specs = {s.code: s for s in network_catalogue.load().indicators}
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="network-report-{found.year}.csv"'
    writer = safe_writer(response)
    writer.writerow(
        [
            "year",
            "indicator",
            "title",
            "subject",
            "subject_label",
            "unit",
            "value",
            "numerator",
            "denominator",
            "catalogue",
            "engine",
            "note",
        ]
    )
    for f in found.figures:
        spec = specs.get(f["indicator"])
        hidden = labels.suppressed_text(f)  # a suppressed cell: no value, no count
        writer.writerow(
            [
                found.year,
                f["indicator"],
                labels.title(f["indicator"]),
                f["subject"],
                f["subject_label"],
                spec.unit if spec else "",
                "" if hidden else f["value"],
                "" if hidden else f["numerator"],
                "" if hidden or f["denominator"] is None else f["denominator"],
                f"{found.catalogue_id} {found.catalogue_version}",
                found.engine_version,
                hidden,
            ]
        )
    return response


def report_pdf(request: HttpRequest, year: int) -> HttpResponse:
    from solidaria.indicators.pdf import report_pdf as make_pdf

    found = _report(year)
    response = HttpResponse(make_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="network-report-{found.year}.pdf"'
    return response


def report_jsonld(request: HttpRequest, year: int) -> HttpResponse:
    found = _report(year)
    return HttpResponse(
        json.dumps(queries.jsonld(found), ensure_ascii=False, indent=1),
        content_type="application/ld+json; charset=utf-8",
    )


def methods(request: HttpRequest) -> HttpResponse:
    catalogue = network_catalogue.load()
    rows = [
        {
            "spec": spec,
            "title": labels.title(spec.code),
            "method": labels.method(spec.code),
            "per": labels.PER.get(spec.per, spec.per),
            "unit": labels.UNITS.get(spec.unit, spec.unit),
        }
        for spec in catalogue.indicators
    ]
    return render(request, "indicators/methods.html", {"catalogue": catalogue, "rows": rows})
