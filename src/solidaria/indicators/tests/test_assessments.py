"""Assessments: open, fill in, evidence, submit, peer review, sign-off, publication,
versions, the published matrix and the network aggregates (5 organisations at least)."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.audit import AuditEvent
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AppendOnlyError, Visibility
from solidaria.directory.factories import make_organisation
from solidaria.indicators import assessment_queries as q
from solidaria.indicators import assessments as svc
from solidaria.indicators import catalogues
from solidaria.indicators.models import Assessment, AssessmentVersion

pytestmark = pytest.mark.django_db


def _network() -> dict[str, Any]:
    people = {n: make_member(n) for n in ("ada", "bo", "cy")}
    orgs = {
        "bakery": make_organisation("Bakery", operators=(people["ada"],)),
        "mill": make_organisation("Mill", operators=(people["bo"],)),
        "farm": make_organisation("Farm", operators=(people["cy"],)),
    }
    return {"people": people, "orgs": orgs, "steward": make_steward("stew")}


def _filled(world: dict[str, Any], **answers: str) -> Assessment:
    ada = world["people"]["ada"]
    a = svc.assessment_open(
        actor=ada,
        organisation=world["orgs"]["bakery"],
        year=2025,
        catalogue_key=catalogues.ECG_FULL,
    )
    return svc.answers_save(actor=ada, assessment=a, answers=answers or {"A1.1": "5"})


def _reviewed(world: dict[str, Any], a: Assessment) -> Assessment:
    a = svc.assessment_submit(actor=world["people"]["ada"], assessment=a)
    for who, org in (("bo", "mill"), ("cy", "farm")):
        svc.review_submit(
            actor=world["people"][who],
            assessment=a,
            organisation=world["orgs"][org],
            entries={"A1.1": {"comment": "Good", "estimation": "4"}},
        )
    return a


def test_ecg_points_follow_the_engine_exactly() -> None:
    # given an empty balance: 20 topics of equal weight share 1000 points, 50 each
    world = _network()
    # when A1.1 (the only positive aspect of A1) is estimated 5 of 10
    a = _filled(world, **{"A1.1": "5"})
    balance = svc.ecg_balance(a)
    # then A1 earns exactly half its maximum and the total is that
    assert balance.rating("A1").max_points == 50
    assert balance.rating("A1").points == 25
    assert balance.total == 25


def test_a_negative_aspect_costs_up_to_four_times_the_topic() -> None:
    world = _network()
    a = _filled(world, **{"A1.2": "-200"})
    assert svc.ecg_balance(a).total == -200


def test_answers_out_of_range_or_unknown_are_refused_naming_the_code() -> None:
    world = _network()
    a = _filled(world)
    ada = world["people"]["ada"]
    with pytest.raises(ValidationFailed, match="A1.1"):
        svc.answers_save(actor=ada, assessment=a, answers={"A1.1": "11"})
    with pytest.raises(ValidationFailed, match="Z9"):
        svc.answers_save(actor=ada, assessment=a, answers={"Z9": "1"})
    a.refresh_from_db()
    assert a.answers == {"A1.1": "5"}


def test_saving_one_part_keeps_the_others() -> None:
    world = _network()
    a = _filled(world, **{"A1.1": "5"})
    a = svc.answers_save(actor=world["people"]["ada"], assessment=a, answers={"B1.1": "3"})
    assert a.answers == {"A1.1": "5", "B1.1": "3"}


def test_facts_change_the_weights() -> None:
    world = _network()
    a = _filled(world, **{"C1.1": "10"})
    before = svc.ecg_balance(a).rating("C1").max_points
    a = svc.facts_save(
        actor=world["people"]["ada"],
        assessment=a,
        facts={
            "total_staff_costs": 90_000,
            "total_purchase_from_suppliers": 10_000,
            "turnover": 200_000,
        },
    )
    assert svc.ecg_balance(a).rating("C1").max_points != before
    with pytest.raises(ValidationFailed, match="XXX"):
        svc.facts_save(
            actor=world["people"]["ada"], assessment=a, facts={"other_suppliers_country": "XXX"}
        )


def test_only_operators_fill_in() -> None:
    world = _network()
    a = _filled(world)
    with pytest.raises(PermissionDenied):
        svc.answers_save(actor=world["people"]["bo"], assessment=a, answers={"A1.1": "9"})


def test_peer_review_then_signoff_then_publish_with_versions() -> None:
    world = _network()
    a = _filled(world)
    a = svc.assessment_submit(actor=world["people"]["ada"], assessment=a)
    bo = world["people"]["bo"]
    # the organisation cannot review itself, a steward cannot sign off before two reviews
    with pytest.raises(ValidationFailed):
        svc.review_submit(
            actor=world["people"]["ada"],
            assessment=a,
            organisation=world["orgs"]["bakery"],
            entries={},
        )
    svc.review_submit(
        actor=bo,
        assessment=a,
        organisation=world["orgs"]["mill"],
        entries={"A1.1": {"comment": "Show the contracts", "estimation": "3"}},
    )
    with pytest.raises(Conflict):
        svc.review_submit(actor=bo, assessment=a, organisation=world["orgs"]["mill"], entries={})
    with pytest.raises(Conflict, match="2"):
        svc.assessment_signoff(actor=world["steward"], assessment=a)
    # a change after submission is a new version
    a = svc.answers_save(actor=world["people"]["ada"], assessment=a, answers={"A1.1": "4"})
    svc.review_submit(
        actor=world["people"]["cy"],
        assessment=a,
        organisation=world["orgs"]["farm"],
        entries={"A1.1": {"comment": "", "estimation": "4"}},
    )
    with pytest.raises(PermissionDenied):
        svc.assessment_signoff(actor=bo, assessment=a)
    a = svc.assessment_signoff(actor=world["steward"], assessment=a)
    assert a.result["total"] == "20/1"
    with pytest.raises(Conflict):
        svc.answers_save(actor=world["people"]["ada"], assessment=a, answers={"A1.1": "9"})
    a = svc.assessment_publish(
        actor=world["people"]["ada"], assessment=a, visibility=Visibility.MEMBERS
    )
    verbs = list(a.versions.values_list("verb", flat=True))
    assert verbs == [
        "indicators.assessment.submit",
        "indicators.assessment.review",
        "indicators.assessment.answer",
        "indicators.assessment.review",
        "indicators.assessment.signoff",
        "indicators.assessment.publish",
    ]
    assert a.versions.get(number=3).answers == {"A1.1": "4"}
    assert a.versions.get(number=1).answers == {"A1.1": "5"}
    with pytest.raises(AppendOnlyError):
        AssessmentVersion.objects.filter(assessment=a).delete()
    audited = set(
        AuditEvent.objects.filter(verb__startswith="indicators.assessment.").values_list(
            "verb", flat=True
        )
    )
    assert {"indicators.assessment.open", "indicators.assessment.publish"} <= audited


def test_an_external_auditor_signs_off() -> None:
    world = _network()
    auditor = make_member("audrey")
    a = _reviewed(world, _filled(world))
    with pytest.raises(PermissionDenied):
        svc.assessment_signoff(actor=auditor, assessment=a)
    svc.auditor_grant(actor=world["steward"], user=auditor, reason="Certified ECG auditor")
    assert svc.assessment_signoff(actor=auditor, assessment=a).status == "signed_off"


def test_evidence_limits(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path  # uploads go to a scratch folder
    world = _network()
    a = _filled(world)
    ada = world["people"]["ada"]
    e = svc.evidence_add(actor=ada, assessment=a, code="A1.1", link="https://example.org/c.pdf")
    assert e.link
    with pytest.raises(ValidationFailed, match="types"):
        svc.evidence_add(
            actor=ada, assessment=a, code="A1.1", file=SimpleUploadedFile("x.exe", b"MZ")
        )
    big = SimpleUploadedFile("big.pdf", b"0" * (svc.MAX_EVIDENCE_BYTES + 1))
    with pytest.raises(ValidationFailed, match="5 MB"):
        svc.evidence_add(actor=ada, assessment=a, code="A1.1", file=big)
    with pytest.raises(ValidationFailed):
        svc.evidence_add(actor=ada, assessment=a, code="nope", link="https://example.org")
    with pytest.raises(ValidationFailed, match="content"):
        svc.evidence_add(
            actor=ada, assessment=a, code="A1", file=SimpleUploadedFile("c.pdf", b"MZ\x90")
        )
    pdf = svc.evidence_add(
        actor=ada, assessment=a, code="A1", file=SimpleUploadedFile("c.pdf", b"%PDF-1.4 x")
    )
    assert pdf.file.read() == b"%PDF-1.4 x"


def test_custom_catalogue_import_names_the_bad_entry() -> None:
    steward = make_steward("stew")
    doc = {
        "format": "solidaria-catalogue/1",
        "kind": "questionnaire",
        "id": "our-audit",
        "version": "1",
        "title": "Our audit",
        "source": "us",
        "licence": "CC0",
        "groups": [
            {
                "code": "people",
                "name": "People",
                "sections": [
                    {
                        "name": "Staff",
                        "items": [{"code": "q1", "label": "How many?", "type": "question"}],
                    }
                ],
            }
        ],
    }
    found = svc.catalogue_import(actor=steward, raw=json.dumps(doc).encode())
    assert found.key == "our-audit-1"
    assert ("our-audit-1", "Our audit") in svc.catalogue_choices()
    doc["id"] = "other"
    doc["groups"][0]["sections"][0]["items"][0]["type"] = "poem"
    with pytest.raises(ValidationFailed, match=r"groups\[0\]"):
        svc.catalogue_import(actor=steward, raw=json.dumps(doc).encode())
    with pytest.raises(ValidationFailed):
        svc.catalogue_import(actor=steward, raw=b"\xff\xfe")


def test_reas_answers_by_principle_split_by_gender() -> None:
    world = _network()
    ada = world["people"]["ada"]
    a = svc.assessment_open(
        actor=ada,
        organisation=world["orgs"]["bakery"],
        year=2025,
        catalogue_key=catalogues.REAS_2023,
    )
    cat = catalogues.load(catalogues.REAS_2023)
    split = next(i for i in cat.items() if i.split_by_gender)
    svc.answers_save(
        actor=ada, assessment=a, answers={split.code + "d": "3", split.code + "h": "2"}
    )
    a.refresh_from_db()
    groups = q.questionnaire(a)
    row = next(
        i for g in groups for s in g["sections"] for i in s["items"] if i["item"].code == split.code
    )
    assert row["split"] == [("d", "3"), ("h", "2"), ("a", "")]


def _publish_many(n: int, totals: list[str]) -> list[Assessment]:
    steward = make_steward("stew")
    reviewers = [make_member(f"rev{i}") for i in range(2)]
    rev_orgs = [make_organisation(f"Reviewer {i}", operators=(r,)) for i, r in enumerate(reviewers)]
    out = []
    for i in range(n):
        op = make_member(f"op{i}")
        org = make_organisation(f"Org {i}", operators=(op,))
        a = svc.assessment_open(
            actor=op, organisation=org, year=2025, catalogue_key=catalogues.ECG_FULL
        )
        svc.answers_save(actor=op, assessment=a, answers={"A1.1": totals[i]})
        svc.assessment_submit(actor=op, assessment=a)
        for r, o in zip(reviewers, rev_orgs, strict=True):
            svc.review_submit(actor=r, assessment=a, organisation=o, entries={})
        svc.assessment_signoff(actor=steward, assessment=a)
        out.append(svc.assessment_publish(actor=op, assessment=a, visibility=Visibility.PUBLIC))
    return out


def test_aggregates_need_five_organisations() -> None:
    _publish_many(4, ["2", "4", "6", "8"])
    [year] = q.aggregates(None)
    assert year["count"] == 4 and not year["enough"]


def test_aggregates_show_quartiles_and_a_histogram() -> None:
    # A1.1 at e/10 of 50 points: totals 10, 20, 30, 40, 50
    _publish_many(5, ["2", "4", "6", "8", "10"])
    [year] = q.aggregates(None)
    assert year["enough"]
    assert (year["minimum"], year["q1"], year["median"], year["q3"], year["maximum"]) == (
        10,
        20,
        30,
        40,
        50,
    )
    assert sum(b["count"] for b in year["histogram"]) == 5


@given(st.lists(st.fractions(min_value=-3600, max_value=1000), min_size=1, max_size=30))
def test_quartiles_are_ordered_and_within_the_values(values: list[Fraction]) -> None:
    values.sort()
    qs = [q.quantile(values, Fraction(k, 4)) for k in range(5)]
    assert qs[0] == values[0] and qs[4] == values[-1]
    assert qs == sorted(qs)


# ---------------------------------------------------------------- pages


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_pages_fill_review_sign_publish_and_show_the_matrix() -> None:
    world = _network()
    ada = _client(world["people"]["ada"])
    response = ada.post(
        reverse("indicators:assessment_new"),
        {
            "organisation": world["orgs"]["bakery"].pk,
            "year": 2025,
            "catalogue": catalogues.ECG_FULL,
        },
    )
    a = Assessment.objects.get()
    assert response.status_code == 302
    url = reverse("indicators:assessment", kwargs={"pk": a.pk})
    page = ada.get(url + "?part=A1")
    assert page.status_code == 200 and b"A1.1" in page.content
    # without JavaScript: the Save button; with it: the autosave answers JSON
    ada.post(
        reverse("indicators:assessment_answers", kwargs={"pk": a.pk}), {"part": "A1", "A1.1": "5"}
    )
    saved = ada.post(
        reverse("indicators:assessment_answers", kwargs={"pk": a.pk}),
        {"part": "A2", "A2.1": "12"},
        headers={"X-Autosave": "1"},
    )
    assert saved.status_code == 422 and "A2.1" in saved.json()["message"]
    a.refresh_from_db()
    assert a.answers == {"A1.1": "5"}
    assert b"25.00" in ada.get(url).content
    ada.post(reverse("indicators:assessment_submit", kwargs={"pk": a.pk}))
    # a stranger does not see an unpublished assessment
    assert Client().get(url).status_code == 404
    for who, org in (("bo", "mill"), ("cy", "farm")):
        c = _client(world["people"][who])
        r = c.post(
            reverse("indicators:assessment_review", kwargs={"pk": a.pk}),
            {"organisation": world["orgs"][org].pk, "comment-A1.1": "ok", "estimation-A1.1": "5"},
        )
        assert r.status_code == 302
    stew = _client(world["steward"])
    assert (
        stew.post(reverse("indicators:assessment_signoff", kwargs={"pk": a.pk})).status_code == 302
    )
    ada.post(
        reverse("indicators:assessment_publish", kwargs={"pk": a.pk}), {"visibility": "public"}
    )
    balance = Client().get(reverse("indicators:balance", kwargs={"pk": a.pk}))
    assert balance.status_code == 200
    html = balance.content.decode()
    assert 'data-topic="A1"' in html and "25/50" in html and "Total: 25 of 1000 points" in html
    org_page = Client().get(
        reverse("directory:detail", kwargs={"org_id": world["orgs"]["bakery"].pk})
    )
    assert reverse("indicators:balance", kwargs={"pk": a.pk}) in org_page.content.decode()


def test_members_only_balance_is_hidden_from_visitors() -> None:
    world = _network()
    a = _reviewed(world, _filled(world))
    svc.assessment_signoff(actor=world["steward"], assessment=a)
    svc.assessment_publish(actor=world["people"]["ada"], assessment=a, visibility="members")
    url = reverse("indicators:balance", kwargs={"pk": a.pk})
    assert Client().get(url).status_code == 404
    assert _client(make_member("zed")).get(url).status_code == 200


def test_a_review_shows_the_total_its_estimations_would_give() -> None:
    world = _network()
    a = _reviewed(world, _filled(world, **{"A1.1": "5"}))  # both peers propose A1.1 = 4
    page = _client(world["steward"]).get(reverse("indicators:assessment", kwargs={"pk": a.pk}))
    assert "the total would be 20.00 points" in page.content.decode()


def test_a_published_reas_balance_shows_principles_and_gender() -> None:
    world = _network()
    ada = world["people"]["ada"]
    a = svc.assessment_open(
        actor=ada,
        organisation=world["orgs"]["bakery"],
        year=2025,
        catalogue_key=catalogues.REAS_2023,
    )
    split = next(i for i in catalogues.load(catalogues.REAS_2023).items() if i.split_by_gender)
    svc.answers_save(
        actor=ada, assessment=a, answers={split.code + "d": "7", split.code + "h": "5"}
    )
    svc.assessment_submit(actor=ada, assessment=a)
    for who, org in (("bo", "mill"), ("cy", "farm")):
        svc.review_submit(
            actor=world["people"][who], assessment=a, organisation=world["orgs"][org], entries={}
        )
    svc.assessment_signoff(actor=world["steward"], assessment=a)
    svc.assessment_publish(actor=ada, assessment=a, visibility="public")
    html = Client().get(reverse("indicators:balance", kwargs={"pk": a.pk})).content.decode()
    assert "EQUIDAD Y DEMOCRACIA" in html and "Women" in html
    assert f"<small>({split.code})</small></th><td>—</td><td>7</td><td>5</td><td>—</td>" in html


def test_catalogue_import_page_names_the_entry() -> None:
    stew = _client(make_steward("stew"))
    bad = {"format": "solidaria-catalogue/1", "kind": "questionnaire", "id": "x", "groups": []}
    upload = SimpleUploadedFile("c.json", json.dumps(bad).encode(), "application/json")
    response = stew.post(reverse("indicators:catalogue_import"), {"file": upload})
    assert response.status_code == 422
    assert "The catalogue does not validate" in response.content.decode()


def test_a_steward_names_an_external_auditor_on_the_page() -> None:
    stew = _client(make_steward("stew"))
    audrey = make_member("audrey")
    response = stew.post(
        reverse("indicators:auditor_grant"), {"username": "audrey", "reason": "Certified"}
    )
    assert response.status_code == 302
    assert svc.is_external_auditor(audrey)
    again = stew.post(
        reverse("indicators:auditor_grant"), {"username": "audrey", "reason": "Again"}
    )
    assert again.status_code == 422


def test_an_operator_without_organisation_cannot_open() -> None:
    response = _client(make_member("zed")).post(
        reverse("indicators:assessment_new"),
        {"organisation": 1, "year": 2025, "catalogue": catalogues.ECG_FULL},
    )
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_a_balance_compares_with_earlier_years() -> None:
    world = _network()
    ada = world["people"]["ada"]
    ids = []
    for year, estimation in ((2024, "2"), (2025, "6")):
        a = svc.assessment_open(
            actor=ada,
            organisation=world["orgs"]["bakery"],
            year=year,
            catalogue_key=catalogues.ECG_FULL,
        )
        svc.answers_save(actor=ada, assessment=a, answers={"A1.1": estimation})
        a = _reviewed(world, Assessment.objects.get(pk=a.pk))
        svc.assessment_signoff(actor=world["steward"], assessment=a)
        svc.assessment_publish(actor=ada, assessment=a, visibility="public")
        ids.append(a.pk)
    html = Client().get(reverse("indicators:balance", kwargs={"pk": ids[1]})).content.decode()
    assert "Compared with earlier years" in html
    # A1: 10 points in 2024, 30 in 2025
    assert '<th scope="row">A1</th><td class="num">10</td><td class="num">30</td>' in html


def test_a_catalogue_downloads_as_json_and_imports_again() -> None:
    response = Client().get(
        reverse("indicators:catalogue_json", kwargs={"key": catalogues.REAS_2023})
    )
    assert response.status_code == 200
    doc = json.loads(response.content)
    doc["id"] = "our-reas"
    found = svc.catalogue_import(actor=make_steward("stew"), raw=json.dumps(doc).encode())
    reas = catalogues.load(catalogues.REAS_2023)
    assert svc.catalogue_of(found.key).items() == reas.items()  # type: ignore[union-attr]
    assert Client().get("/indicators/assessments/catalogues/nope.json").status_code == 404
