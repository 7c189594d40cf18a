"""Demo: published common-good balances of six organisations (so the network aggregates
show), each filled in by its operators, reviewed by two other organisations and signed
off by the steward; one with an earlier year to compare, one REAS social audit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from solidaria.core.demo import STEWARD, demo_users
from solidaria.core.models import Visibility
from solidaria.indicators import assessments as svc
from solidaria.indicators import catalogues
from solidaria.indicators.engine.catalogue import EcgCatalogue
from solidaria.indicators.models import Assessment

# ana and chen run the bakery and emeka claims an organisation in the accounts demo
OPERATORS = ("bilal", "dolores", "farah")
COUNT = 6


def _organisations() -> list[Any]:
    from solidaria.directory.models import Organisation

    free = Organisation.objects.filter(
        status=Organisation.Status.CONFIRMED, cooperative__isnull=True, operators__isnull=True
    ).order_by("pk")
    return list(free[1 : COUNT + 1])  # the first is the one emeka claims


def _answers(cat: EcgCatalogue, i: int) -> dict[str, str]:
    out = {}
    for k, a in enumerate(a for t in cat.topics for a in t.aspects):
        if a.is_positive:
            out[a.code] = str(2 + (i * 7 + k * 3) % 9)
        elif (i + k) % 13 == 0:
            out[a.code] = "-20"
    return out


def _facts(i: int) -> dict[str, Any]:
    """Company facts in `company_facts`' format: amounts in cents, shares in percent."""
    return {
        "turnover": (200_000 + 50_000 * i) * 100,
        "total_purchase_from_suppliers": (60_000 + 10_000 * i) * 100,
        "total_staff_costs": (90_000 + 15_000 * i) * 100,
        "profit": 5_000 * (i % 3) * 100,
        "number_of_employees": str(4 + 3 * i),
        "average_journey_to_work_km": str(3 + i),
        "has_canteen": i % 2 == 0,
        "is_b2b": i % 3 == 0,
        "other_suppliers_country": "ESP",
        "supply": [{"country": "ESP", "industry": "A", "costs": 20_000 * 100}],
        "staff": [{"country": "ESP", "percent": "100"}],
        "sectors": [{"industry": "C", "percent": "100", "description": ""}],
    }


def load(*, stdout: Any) -> None:
    from solidaria.directory import operators

    if Assessment.objects.exists():
        stdout.write("  balances: already loaded\n")
        return
    users = demo_users()
    steward = users[STEWARD]
    orgs = _organisations()
    if len(orgs) < COUNT:
        stdout.write("  balances: too few organisations in the directory, skipped\n")
        return
    cat = catalogues.ecg_catalogue()
    year = timezone.now().year - 1
    with transaction.atomic():
        for i, org in enumerate(orgs):
            claim = operators.operator_claim(
                actor=users[OPERATORS[i % 3]],
                org_id=org.pk,
                reason="I keep its common-good balance.",
            )
            operators.operator_decide(actor=steward, operator_id=claim.pk, decision="confirm")
        svc.auditor_grant(actor=steward, user=users["emeka"], reason="ECG auditor (demo)")

        def publish(i: int, a: Assessment, answers: dict[str, str], visibility: str) -> None:
            op = users[OPERATORS[i % 3]]
            svc.answers_save(actor=op, assessment=a, answers=answers)
            svc.assessment_submit(actor=op, assessment=a)
            for j in (1, 2):
                other = (i + j) % COUNT
                code = next(iter(answers))
                svc.review_submit(
                    actor=users[OPERATORS[other % 3]],
                    assessment=a,
                    organisation=orgs[other],
                    entries={code: {"comment": "Evidence seen on a visit.", "estimation": ""}},
                )
            svc.assessment_signoff(actor=steward, assessment=a)
            svc.assessment_publish(actor=op, assessment=a, visibility=visibility)

        for i, org in enumerate(orgs):
            op = users[OPERATORS[i % 3]]
            years = (year - 2, year) if i == 0 else (year,)
            for y in years:
                a = svc.assessment_open(
                    actor=op, organisation=org, year=y, catalogue_key=catalogues.ECG_FULL
                )
                svc.facts_save(actor=op, assessment=a, facts=_facts(i))
                answers = _answers(cat, i + (y - year))
                visibility = str(Visibility.MEMBERS if i == COUNT - 1 else Visibility.PUBLIC)
                publish(i, a, answers, visibility)
        reas = catalogues.load(catalogues.REAS_2023)
        items = reas.items()  # type: ignore[union-attr]
        answers = {}
        for n, item in enumerate(items[:40]):
            if item.split_by_gender:
                answers.update({item.code + "d": str(3 + n % 4), item.code + "h": str(2 + n % 3)})
            else:
                answers[item.code] = str(n % 5 + 1)
        a = svc.assessment_open(
            actor=users[OPERATORS[1]],
            organisation=orgs[1],
            year=year,
            catalogue_key=catalogues.REAS_2023,
        )
        publish(1, a, answers, str(Visibility.PUBLIC))
    stdout.write(
        f"  balances: {Assessment.objects.filter(status='published').count()} published "
        f"({COUNT} organisations, {year})\n"
    )
