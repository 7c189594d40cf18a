"""The yearly network report gathers the balances published for its year: each public
ECG balance with its total and points per stakeholder group, each social audit with how
much of it was answered, a link to each, and the network's figures from 5 organisations."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.models import Visibility
from solidaria.core.permissions import SYSTEM
from solidaria.directory.factories import make_organisation
from solidaria.indicators import assessment_queries as aq
from solidaria.indicators import assessments as svc
from solidaria.indicators import catalogues, queries, services
from solidaria.indicators.engine.ecg import display
from solidaria.indicators.models import Assessment

pytestmark = pytest.mark.django_db
YEAR = timezone.now().year


class World:
    def __init__(self) -> None:
        self.steward = make_steward("stew")
        self.reviewers = [make_member(f"rev{i}") for i in range(2)]
        self.rev_orgs = [
            make_organisation(f"Reviewer {i}", operators=(r,)) for i, r in enumerate(self.reviewers)
        ]
        self.n = 0

    def publish(
        self,
        answers: dict[str, str],
        *,
        year: int = YEAR,
        key: str = catalogues.ECG_FULL,
        visibility: str = Visibility.PUBLIC,
    ) -> Assessment:
        self.n += 1
        op = make_member(f"op{self.n}")
        org = make_organisation(f"Org {self.n:02d}", operators=(op,))
        a = svc.assessment_open(actor=op, organisation=org, year=year, catalogue_key=key)
        svc.answers_save(actor=op, assessment=a, answers=answers)
        svc.assessment_submit(actor=op, assessment=a)
        for r, o in zip(self.reviewers, self.rev_orgs, strict=True):
            svc.review_submit(actor=r, assessment=a, organisation=o, entries={})
        svc.assessment_signoff(actor=self.steward, assessment=a)
        return svc.assessment_publish(actor=op, assessment=a, visibility=visibility)


def _reas_answers() -> tuple[dict[str, str], Any]:
    cat = catalogues.load(catalogues.REAS_2023)
    items = cat.items()  # type: ignore[union-attr]
    plain = [i for i in items if not i.split_by_gender][:3]
    split = next(i for i in items if i.split_by_gender)
    answers = {i.code: "1" for i in plain}
    answers[split.code + "d"] = "4"
    return answers, cat


def test_the_report_lists_the_years_public_balances_with_links(client: Client) -> None:
    w = World()
    public = [w.publish({"A1.1": str(v)}) for v in (2, 4, 6, 8, 10)]
    hidden = w.publish({"A1.1": "3"}, visibility=Visibility.MEMBERS)
    earlier = w.publish({"A1.1": "5"}, year=YEAR - 1)
    answers, reas = _reas_answers()
    audit = w.publish(answers, key=catalogues.REAS_2023)
    services.report_compute(actor=SYSTEM, year=YEAR)
    html = client.get(f"/indicators/{YEAR}/").content.decode()
    for a in public:
        total = display(Fraction(a.result["total"]), 0)
        assert f'href="/indicators/balances/{a.pk}/">{a.organisation.name}</a>' in html
        assert f'<td class="num">{total}</td>' in html
    for a in (hidden, earlier):
        assert f"/indicators/balances/{a.pk}/" not in html
    assert f'href="/indicators/balances/{audit.pk}/">{audit.organisation.name}</a>' in html
    # the social audit: 3 plain questions and one split by gender answered, of them all
    assert f"4 of {len(reas.items())} questions answered" in html
    # the network figures over the 5 public ECG balances (the members-only one is not
    # counted on this public page): the median total worked out here
    totals = sorted(Fraction(a.result["total"]) for a in public)
    table = html.split('id="report-ecg-aggregate"', 1)[1].split("</table>", 1)[0]
    row = [display(t, 0) for t in (totals[0], totals[1], totals[2], totals[3], totals[4])]
    mean = display(sum(totals, Fraction(0)) / 5, 0)
    cells = "".join(f'<td class="num">{v}</td>' for v in [*row, mean])
    assert cells in table  # lowest, quartiles (exact ranks with 5 values), highest, mean
    assert "5 organisations" in table


def test_points_per_stakeholder_group_add_up_to_the_total() -> None:
    w = World()
    a = w.publish({"A1.1": "7", "B1.1": "3", "E4.1": "9"})
    summary = queries.year_balances(YEAR)
    (item,) = summary.ecg
    topics = a.result["topics"]
    for g in item.groups:
        points = sum(Fraction(t["points"]) for c, t in topics.items() if c.startswith(g["code"]))
        assert g["points"] == str(display(points, 0))
    assert item.total == str(display(Fraction(a.result["total"]), 0))
    assert [g["code"] for g in item.groups] == ["A", "B", "C", "D", "E"]
    # one organisation: too few for network figures, said as such
    assert summary.aggregate is not None and not summary.aggregate["enough"]
    assert summary.minimum == aq.MIN_ORGANISATIONS


def test_a_year_without_balances_says_so_and_the_pdf_lists_them(client: Client) -> None:
    services.report_compute(actor=SYSTEM, year=YEAR)
    html = client.get(f"/indicators/{YEAR}/").content.decode()
    assert "No organisation published a balance for this year." in html
    w = World()
    w.publish({"A1.1": "6"})
    pdf = client.get(f"/indicators/{YEAR}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"/URI" in pdf.content  # the link to the balance


def test_the_pdf_says_one_organisation_in_the_singular(monkeypatch: pytest.MonkeyPatch) -> None:
    from reportlab.pdfgen import canvas

    from solidaria.indicators import pdf
    from solidaria.indicators.models import NetworkReport

    report = services.report_compute(actor=SYSTEM, year=YEAR)
    World().publish({"A1.1": "6"})
    drawn: list[str] = []
    original = canvas.Canvas.drawString

    def draw(self: Any, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> Any:
        drawn.append(text)
        return original(self, x, y, text, *args, **kwargs)

    monkeypatch.setattr(canvas.Canvas, "drawString", draw)
    pdf.report_pdf(NetworkReport.objects.get(pk=report.pk))
    text = " ".join(drawn)
    assert "1 organisation published an ECG balance" in text
    assert "1 organisations" not in text
