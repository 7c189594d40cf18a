"""Races on PostgreSQL: operators saving an assessment in review at once get versions
numbered 1..n without a gap or a duplicate (the assessment row is locked first); one
organisation reviewing twice at once stores one review; sign-offs at once sign once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.errors import Conflict
from solidaria.core.tests.concurrency import race_each
from solidaria.directory.factories import make_organisation
from solidaria.indicators import assessments as svc
from solidaria.indicators import catalogues
from solidaria.indicators.models import Assessment, Review

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 6


def _submitted() -> tuple[Assessment, list[Any], Any]:
    operators = [make_member(f"op{i}") for i in range(WORKERS)]
    org = make_organisation("Bakery", operators=tuple(operators))
    a = svc.assessment_open(
        actor=operators[0], organisation=org, year=2025, catalogue_key=catalogues.ECG_FULL
    )
    svc.answers_save(actor=operators[0], assessment=a, answers={"A1.1": "1"})
    return svc.assessment_submit(actor=operators[0], assessment=a), operators, org


def test_concurrent_saves_number_versions_without_gaps() -> None:
    assert connection.vendor == "postgresql"
    a, operators, _org = _submitted()

    results = race_each(
        lambda i: svc.answers_save(
            actor=operators[i], assessment=a, answers={f"B{1 + i % 4}.1": str(i + 1)}
        ),
        workers=WORKERS,
    )

    assert [r for r in results if not isinstance(r, Assessment)] == []
    numbers = list(a.versions.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, WORKERS + 2))  # the submission, then one per save
    a.refresh_from_db()
    assert a.versions.order_by("-number").first().answers == a.answers


def test_one_organisation_reviews_once_and_signs_off_once() -> None:
    a, _operators, _org = _submitted()
    reviewer = make_member("rev")
    mill = make_organisation("Mill", operators=(reviewer,))
    farm_op = make_member("farmer")
    farm = make_organisation("Farm", operators=(farm_op,))

    results = race_each(
        lambda i: svc.review_submit(actor=reviewer, assessment=a, organisation=mill, entries={}),
        workers=WORKERS,
    )
    assert sum(isinstance(r, Review) for r in results) == 1
    assert all(isinstance(r, Review | Conflict) for r in results)
    svc.review_submit(actor=farm_op, assessment=a, organisation=farm, entries={})

    stewards = [make_steward(f"stew{i}") for i in range(WORKERS)]
    signed = race_each(
        lambda i: svc.assessment_signoff(actor=stewards[i], assessment=a), workers=WORKERS
    )
    assert sum(isinstance(r, Assessment) for r in signed) == 1
    assert a.versions.filter(verb="indicators.assessment.signoff").count() == 1
