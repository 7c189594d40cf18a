"""Set-off notices as PDF (reportlab): what each member's obligations became."""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from solidaria.accounts.models import User
from solidaria.clearing.models import ClearingRun
from solidaria.clearing.queries import NoticeLine


def notice_pdf(*, run: ClearingRun, member: User, lines: Sequence[NoticeLine]) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"Set-off notice, run {run.pk}")
    styles = getSampleStyleSheet()
    fmt = run.currency.format
    story = [
        Paragraph(settings.SOLIDARIA["NETWORK_NAME"], styles["Title"]),
        Paragraph(_("Set-off notice for %(member)s") % {"member": member}, styles["Heading2"]),
        Paragraph(
            _("Clearing run %(run)s in %(currency)s, status: %(status)s")
            % {"run": run.pk, "currency": run.currency.code, "status": run.get_status_display()},
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    rows = [[_("Obligation"), _("Role"), _("Counterparty"), _("Before"), _("Set off"), _("After")]]
    for line in lines:
        rows.append(
            [
                f"#{line.obligation_id} {line.reference}".strip(),
                _(line.role),
                line.counterparty,
                fmt(line.remaining_before),
                fmt(line.setoff),
                fmt(line.remaining_after),
            ]
        )
    rows.append(["", "", _("Total set off"), "", fmt(sum(x.setoff for x in lines)), ""])
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f3ef")),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
