"""A member's share certificate as a PDF (reportlab), from the register as it stands."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from solidaria.core.money import format_minor
from solidaria.governance import queries
from solidaria.governance.models import Membership


def _money(coop_currency: object, cents: int) -> str:
    code = getattr(coop_currency, "code", "")
    text = coop_currency.format(cents) if hasattr(coop_currency, "format") else None
    return f"{text or format_minor(cents, exponent=2)} {code}".strip()


def certificate(membership: Membership) -> bytes:
    coop = membership.coop
    capital = queries.member_capital(membership)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Share certificate"))
    pdf.setAuthor(coop.name)
    width, height = A4
    y = height - 30 * mm
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawCentredString(width / 2, y, _("Share certificate"))
    y -= 12 * mm
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, y, coop.name)
    y -= 18 * mm
    pdf.setFont("Helvetica", 11)
    lines = [
        _("This certifies that %(name)s (%(user)s)")
        % {
            "name": membership.user.get_full_name() or membership.user.username,
            "user": membership.user.username,
        },
        _("is a member of %(coop)s in the class %(cls)s since %(date)s,")
        % {
            "coop": coop.name,
            "cls": membership.member_class.name,
            "date": membership.started_at.date().isoformat() if membership.started_at else "-",
        },
        _("and holds, according to the capital register:"),
    ]
    for line in lines:
        pdf.drawString(25 * mm, y, line)
        y -= 7 * mm
    y -= 4 * mm
    for share_type in coop.share_types.all():
        count = capital.shares.get(share_type.pk, 0)
        if not count:
            continue
        pdf.drawString(
            30 * mm,
            y,
            _("%(n)s shares of type %(type)s, nominal %(nominal)s each: %(total)s")
            % {
                "n": count,
                "type": share_type.name,
                "nominal": _money(coop.currency, share_type.nominal_minor),
                "total": _money(coop.currency, count * share_type.nominal_minor),
            },
        )
        y -= 7 * mm
    if capital.capital_credit_minor:
        pdf.drawString(
            30 * mm,
            y,
            _("capital credits from surplus allocations: %(total)s")
            % {"total": _money(coop.currency, capital.capital_credit_minor)},
        )
        y -= 7 * mm
    y -= 4 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(
        25 * mm,
        y,
        _("Total capital: %(total)s") % {"total": _money(coop.currency, capital.total_minor)},
    )
    pdf.setFont("Helvetica", 9)
    pdf.drawString(
        25 * mm,
        20 * mm,
        _("Issued %(date)s from the append-only capital register of %(coop)s.")
        % {"date": timezone.now().date().isoformat(), "coop": coop.name},
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
