"""A year's network report as a PDF (reportlab): every indicator, its figures in words,
and how it is computed, then the balances published for the year with a link to each;
the same content as the report page."""

from __future__ import annotations

import io
from textwrap import wrap

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from solidaria.indicators import labels, queries
from solidaria.indicators.models import NetworkReport

MARGIN = 20 * mm
LINE = 5 * mm


def report_pdf(report: NetworkReport) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    title = str(labels.REPORT_TITLE % {"year": report.year})
    network = str(settings.SOLIDARIA["NETWORK_NAME"])
    pdf.setTitle(title)
    pdf.setAuthor(network)
    height = A4[1]
    y = height - MARGIN

    def line(text: str, font: str = "Helvetica", size: int = 10, indent: float = 0) -> None:
        nonlocal y
        for part in wrap(text, 95 - int(indent / mm)) or [""]:
            if y < MARGIN:
                pdf.showPage()
                y = height - MARGIN
            pdf.setFont(font, size)
            pdf.drawString(MARGIN + indent, y, part)
            y -= LINE if size <= 10 else LINE * 1.6

    line(title, "Helvetica-Bold", 18)
    line(network, size=12)
    line(
        _("From %(start)s until %(end)s (not included); computed %(when)s.")
        % {
            "start": f"{report.period_start:%Y-%m-%d}",
            "end": f"{report.period_end:%Y-%m-%d}",
            "when": f"{report.computed_at:%Y-%m-%d %H:%M} UTC",
        }
    )
    for block in queries.blocks(report):
        y -= LINE
        line(block.title, "Helvetica-Bold", 12)
        line(block.method, size=9)
        if not block.rows:
            line(_("Nothing to measure in this period."), indent=5 * mm)
        for row in block.rows:
            basis = f" ({row.basis})" if row.basis else ""
            line(f"{row.subject}: {row.value}{basis}", indent=5 * mm)
    balances = queries.year_balances(report.year)
    base = str(settings.SOLIDARIA["PUBLIC_URL"]).rstrip("/")

    def linked(text: str, url: str) -> None:
        top = y
        line(text, indent=5 * mm)
        pdf.linkURL(url, (MARGIN, y + LINE * 0.7, A4[0] - MARGIN, top + LINE * 0.7), relative=0)

    y -= LINE
    line(
        _("Common-good balances published for %(year)s") % {"year": report.year},
        "Helvetica-Bold",
        12,
    )
    if balances.is_empty:
        line(_("No organisation published a balance for this year."), indent=5 * mm)
    for b in balances.ecg:
        groups = ", ".join(
            _("%(code)s %(points)s of %(max)s") % g for g in b.groups
        )  # e.g. "A 80 of 110"
        url = base + reverse("indicators:balance", args=[b.assessment.pk])
        linked(
            _("%(name)s: %(total)s points (%(groups)s) %(url)s")
            % {"name": b.organisation, "total": b.total, "groups": groups, "url": url},
            url,
        )
    aggregate = balances.aggregate
    if aggregate and aggregate["enough"]:
        line(
            _(
                "Over the %(count)s organisations: lowest %(minimum)s, first quartile %(q1)s, "
                "median %(median)s, third quartile %(q3)s, highest %(maximum)s, mean %(mean)s "
                "points."
            )
            % aggregate,
            indent=5 * mm,
        )
    elif aggregate:
        line(
            ngettext(
                "%(count)s organisation published an ECG balance: figures over the network "
                "are shown from %(minimum)s organisations.",
                "%(count)s organisations published an ECG balance: figures over the network "
                "are shown from %(minimum)s organisations.",
                aggregate["count"],
            )
            % {"count": aggregate["count"], "minimum": balances.minimum},
            indent=5 * mm,
        )
    for b in balances.questionnaires:
        url = base + reverse("indicators:balance", args=[b.assessment.pk])
        linked(
            _("%(name)s (%(catalogue)s): %(answered)s of %(questions)s questions answered %(url)s")
            % {
                "name": b.organisation,
                "catalogue": b.catalogue,
                "answered": b.answered,
                "questions": b.questions,
                "url": url,
            },
            url,
        )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
