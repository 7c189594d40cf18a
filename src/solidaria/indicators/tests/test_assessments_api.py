"""The assessments REST API: each operation through the Django client, its refusals
(401, 403, 404, 409, 422 with a sentence), that it calls the same services as the pages
(versions, audit), and that every answer matches the declared schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.api import api as _api  # noqa: F401 (before the routers it imports)
from solidaria.core.audit import AuditEvent
from solidaria.directory.factories import make_organisation
from solidaria.indicators import assessments as svc
from solidaria.indicators import catalogues
from solidaria.indicators.api import AssessmentOut, AssessmentSummaryOut, ReviewOut
from solidaria.indicators.models import Assessment

pytestmark = pytest.mark.django_db

BASE = "/api/indicators/assessments"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _call(client: Client, method: str, url: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


@pytest.fixture
def world() -> dict[str, Any]:
    people = {n: make_member(n) for n in ("ada", "bo", "cy", "dee")}
    orgs = {
        "bakery": make_organisation("Bakery", operators=(people["ada"],)),
        "mill": make_organisation("Mill", operators=(people["bo"],)),
        "farm": make_organisation("Farm", operators=(people["cy"],)),
    }
    return {"people": people, "orgs": orgs, "steward": make_steward("stew")}


def _open(world: dict[str, Any], client: Client | None = None) -> dict[str, Any]:
    client = client or _client(world["people"]["ada"])
    response = _call(
        client,
        "post",
        BASE,
        {"organisation": world["orgs"]["bakery"].pk, "year": 2025, "catalogue": "ecg-full-5.0.8"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    AssessmentOut.model_validate(body)
    return body


def _refused(response: Any, status: int, words: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert words in body["detail"]
    return body


def test_open_then_autosave_is_idempotent(world: dict[str, Any]) -> None:
    ada = _client(world["people"]["ada"])
    opened = _open(world, ada)
    assert opened["status"] == "draft"
    assert opened["points"]["total"] == "0/1"
    assert opened["facts"]["other_suppliers_country"] == "AWO"
    url = f"{BASE}/{opened['id']}/answers"
    first = _call(ada, "patch", url, {"answers": {"A1.1": "5", "B1.1": "2.5"}})
    assert first.status_code == 200
    body = first.json()
    AssessmentOut.model_validate(body)
    assert body["answers"] == {"A1.1": "5", "B1.1": "2.5"}
    a1 = next(t for t in body["points"]["topics"] if t["code"] == "A1")
    assert a1 == {
        "code": "A1",
        "weight": "1/1",
        "points": "25/1",
        "max_points": "50/1",
        "points_display": "25.00",
    }
    a11 = next(r for r in body["points"]["ratings"] if r["code"] == "A1.1")
    assert (a11["estimation"], a11["points"], a11["is_topic"]) == ("5/1", "25/1", False)
    assert len(body["points"]["ratings"]) > len(body["points"]["topics"]) == 20
    events = AuditEvent.objects.filter(verb="indicators.assessment.answer").count()
    # the same request again changes nothing and writes nothing
    again = _call(ada, "patch", url, {"answers": {"A1.1": "5", "B1.1": "2.5"}})
    assert again.json()["answers"] == body["answers"]
    assert AuditEvent.objects.filter(verb="indicators.assessment.answer").count() == events
    # a blank answer clears it; the others are kept
    cleared = _call(ada, "patch", url, {"answers": {"B1.1": ""}}).json()
    assert cleared["answers"] == {"A1.1": "5"}


def test_open_refusals(world: dict[str, Any]) -> None:
    ada = _client(world["people"]["ada"])
    good = {"organisation": world["orgs"]["bakery"].pk, "year": 2025, "catalogue": "ecg-full-5.0.8"}
    assert _call(_client(), "post", BASE, good).status_code == 401
    _refused(_call(_client(world["people"]["bo"]), "post", BASE, good), 403, "run")
    _refused(_call(ada, "post", BASE, {**good, "organisation": 10**6}), 422, "organisation")
    _refused(_call(ada, "post", BASE, {**good, "year": 1999}), 422, "year")
    _refused(_call(ada, "post", BASE, {**good, "catalogue": "nope"}), 422, "catalogue")
    _refused(_call(ada, "post", BASE, {**good, "year": "soon"}), 422)
    _refused(_call(ada, "post", BASE, {**good, "year": 2**70}), 422)
    _refused(_call(ada, "post", BASE, {**good, "catalogue": "x" * 81}), 422)
    assert _call(ada, "post", BASE, good).status_code == 201
    _refused(_call(ada, "post", BASE, good), 409, "already")


def test_answers_refusals(world: dict[str, Any]) -> None:
    ada = _client(world["people"]["ada"])
    opened = _open(world, ada)
    url = f"{BASE}/{opened['id']}/answers"
    _refused(_call(ada, "patch", url, {"answers": {"A1.1": "11"}}), 422, "A1.1")
    _refused(_call(ada, "patch", url, {"answers": {"Z9": "1"}}), 422, "Z9")
    _refused(_call(ada, "patch", url, {"answers": {"A1.1": "NaN"}}), 422, "A1.1")
    _refused(_call(ada, "patch", url, {"answers": {"A1.1": "1e-999999999"}}), 422, "decimal")
    _refused(_call(ada, "patch", url, {"answers": {"A1.1": 5}}), 422)
    _refused(_call(ada, "patch", url, {"answers": {"x" * 41: "1"}}), 422)
    _refused(_call(ada, "patch", url, {"answers": {"A1.1": "1" * 2001}}), 422)
    too_many = {f"A{i}": "1" for i in range(1001)}
    _refused(_call(ada, "patch", url, {"answers": too_many}), 422)
    _refused(_call(ada, "patch", url, {}), 422)
    # another member: the draft is not open to them (404, as on the pages)
    bo = _client(world["people"]["bo"])
    _refused(_call(bo, "patch", url, {"answers": {"A1.1": "1"}}), 404)
    assert _call(_client(), "patch", url, {"answers": {"A1.1": "1"}}).status_code == 401
    _refused(_call(ada, "patch", f"{BASE}/999999/answers", {"answers": {}}), 404)
    assert _call(ada, "get", f"{BASE}/{10**30}").status_code in (400, 404)
    assert Assessment.objects.get(pk=opened["id"]).answers == {}


def test_facts_put_and_refusals(world: dict[str, Any]) -> None:
    ada = _client(world["people"]["ada"])
    opened = _open(world, ada)
    url = f"{BASE}/{opened['id']}/facts"
    facts = {
        "total_purchase_from_suppliers": 1_000_000,
        "total_staff_costs": 90_000,
        "profit": 50_000,
        "financial_costs": 60_000,
        "income_from_financial_investments": 70_000,
        "additions_to_fixed_assets": 80_000,
        "total_assets": 3_000,
        "financial_assets_and_cash_balance": 4_000,
        "has_canteen": False,
        "supply": [
            {"country": "ARE", "industry": "A", "costs": 50_000},
            {"country": "AFG", "industry": "Ce", "costs": 60_000},
        ],
        "staff": [{"country": "AFG", "percent": "50"}, {"country": "ARE", "percent": "50"}],
    }
    response = _call(ada, "put", url, facts)
    assert response.status_code == 200, response.content
    body = response.json()
    AssessmentOut.model_validate(body)
    assert body["facts"]["supply"] == facts["supply"]
    assert body["facts"]["other_suppliers_costs"] == 890_000
    assert body["facts"]["has_canteen"] is False
    # the same as the calculator's company_facts_non_empty.json, so its weights
    weights = {t["code"]: t["weight"] for t in body["points"]["topics"]}
    a = Assessment.objects.get(pk=opened["id"])
    balance = svc.ecg_balance(a)
    assert weights == {
        t.code: f"{t.weight.numerator}/{t.weight.denominator}" for t in balance.topics
    }
    assert balance.derived_topic_weights["C3"] == balance.derived_topic_weights["C3"]
    # PUT replaces the whole set
    replaced = _call(ada, "put", url, {"turnover": 100}).json()
    assert replaced["facts"]["supply"] == [] and replaced["facts"]["turnover"] == 100
    bad = [
        ({"turnover": -1}, ""),
        ({"turnover": 10**16}, ""),
        ({"profit": 1.5}, ""),
        ({"staff": [{"country": "ESP", "percent": "80"}, {"country": "FRA", "percent": "30"}]},
         "Staff by country: the shares add up to 110 %"),
        ({"supply": [{"country": "XXX", "industry": "A", "costs": 1}],
          "total_purchase_from_suppliers": 5}, "Supply chain, row 1, country"),
        ({"sectors": [{"industry": "Q9", "percent": "5"}]}, "Turnover by industry, row 1, industry"),
        ({"supply": [{"country": "ESP", "industry": "A", "costs": 9}]}, "more than the total"),
        ({"number_of_employees": "-2"}, "not below 0"),
        ({"number_of_employees": "lots"}, "number"),
        ({"other_suppliers_country": "Mars"}, "Mars"),
        ({"supply": [{"country": "ESP"}]}, ""),
        ({"staff": [{"country": "ESP", "percent": "1"}] * 101}, ""),
    ]  # fmt: skip
    for body_in, words in bad:
        _refused(_call(ada, "put", url, body_in), 422, words)
    _refused(_call(_client(world["people"]["bo"]), "put", url, {}), 404)


def test_facts_of_a_questionnaire_are_refused(world: dict[str, Any]) -> None:
    ada = _client(world["people"]["ada"])
    body = {
        "organisation": world["orgs"]["bakery"].pk,
        "year": 2025,
        "catalogue": catalogues.REAS_2023,
    }
    opened = _call(ada, "post", BASE, body).json()
    assert opened["points"] is None and opened["facts"] is None
    _refused(_call(ada, "put", f"{BASE}/{opened['id']}/facts", {}), 409, "ECG")


def _submitted(world: dict[str, Any]) -> tuple[Client, int]:
    ada = _client(world["people"]["ada"])
    opened = _open(world, ada)
    pk = opened["id"]
    _refused(_call(ada, "post", f"{BASE}/{pk}/submit"), 422, "Answer at least one")
    _call(ada, "patch", f"{BASE}/{pk}/answers", {"answers": {"A1.1": "5"}})
    submitted = _call(ada, "post", f"{BASE}/{pk}/submit")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    _refused(_call(ada, "post", f"{BASE}/{pk}/submit"), 409, "already")
    return ada, pk


def test_the_workflow_review_signoff_publish(world: dict[str, Any]) -> None:
    ada, pk = _submitted(world)
    bo = _client(world["people"]["bo"])
    cy = _client(world["people"]["cy"])
    stew = _client(world["steward"])
    # a peer reads the submitted assessment and reviews it for the mill
    seen = _call(bo, "get", f"{BASE}/{pk}")
    assert seen.status_code == 200 and seen.json()["may_edit"] is False
    review = {
        "organisation": world["orgs"]["mill"].pk,
        "entries": {"A1.1": {"comment": "Show the contracts", "estimation": "4"}},
        "summary": "Fine",
    }
    response = _call(bo, "post", f"{BASE}/{pk}/reviews", review)
    assert response.status_code == 201, response.content
    ReviewOut.model_validate(response.json())
    assert response.json()["entries"]["A1.1"] == {
        "comment": "Show the contracts",
        "estimation": "4",
    }
    _refused(_call(bo, "post", f"{BASE}/{pk}/reviews", review), 409, "already")
    # refusals: for one's own organisation, for an organisation one does not run,
    # an unknown aspect, an estimation out of range, no organisation
    own = {**review, "organisation": world["orgs"]["bakery"].pk}
    _refused(_call(ada, "post", f"{BASE}/{pk}/reviews", own), 422, "another organisation")
    farm = {**review, "organisation": world["orgs"]["farm"].pk}
    _refused(_call(bo, "post", f"{BASE}/{pk}/reviews", farm), 403)
    _refused(
        _call(cy, "post", f"{BASE}/{pk}/reviews", {**farm, "entries": {"Q1": {"comment": "x"}}}),
        422,
        "Q1",
    )
    _refused(
        _call(
            cy, "post", f"{BASE}/{pk}/reviews", {**farm, "entries": {"A1.1": {"estimation": "12"}}}
        ),
        422,
        "A1.1",
    )
    _refused(_call(cy, "post", f"{BASE}/{pk}/reviews", {**farm, "organisation": 10**6}), 422)
    # a member who runs no organisation cannot even see the submitted assessment
    _refused(_call(_client(world["people"]["dee"]), "post", f"{BASE}/{pk}/reviews", farm), 404)
    # sign-off needs two reviews, and a steward or an external auditor
    _refused(_call(stew, "post", f"{BASE}/{pk}/signoff"), 409, "at least 2")
    assert _call(cy, "post", f"{BASE}/{pk}/reviews", farm).status_code == 201
    _refused(_call(bo, "post", f"{BASE}/{pk}/signoff"), 403, "stewards")
    _refused(_call(ada, "post", f"{BASE}/{pk}/publish", {"visibility": "public"}), 409)
    signed = _call(stew, "post", f"{BASE}/{pk}/signoff")
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    _refused(_call(stew, "post", f"{BASE}/{pk}/signoff"), 409)
    _refused(_call(ada, "patch", f"{BASE}/{pk}/answers", {"answers": {"A1.1": "9"}}), 409)
    # publication: only by its organisation, public or members only
    _refused(_call(stew, "post", f"{BASE}/{pk}/publish", {"visibility": "public"}), 403)
    _refused(_call(ada, "post", f"{BASE}/{pk}/publish", {"visibility": "everyone"}), 422)
    published = _call(ada, "post", f"{BASE}/{pk}/publish", {"visibility": "members"})
    assert published.status_code == 200, published.content
    body = published.json()
    assert body["status"] == "published" and body["visibility"] == "members"
    assert [v["verb"] for v in body["versions"]] == [
        "indicators.assessment.submit",
        "indicators.assessment.review",
        "indicators.assessment.review",
        "indicators.assessment.signoff",
        "indicators.assessment.publish",
    ]
    assert len(body["reviews"]) == 2
    # members see it (without the inside), visitors do not until it is public
    for_member = _call(_client(world["people"]["dee"]), "get", f"{BASE}/{pk}").json()
    AssessmentOut.model_validate(for_member)
    assert for_member["inside"] is False
    assert for_member["reviews"] == [] and for_member["facts"] is None
    assert for_member["points"]["total_display"] == "25.00"
    _refused(_call(_client(), "get", f"{BASE}/{pk}"), 404)
    assert _call(_client(), "get", BASE).json() == []
    _call(ada, "post", f"{BASE}/{pk}/publish", {"visibility": "public"})
    visitor = _call(_client(), "get", f"{BASE}/{pk}")
    assert visitor.status_code == 200 and visitor.json()["answers"] == {"A1.1": "5"}
    listed = _call(_client(), "get", BASE).json()
    assert [a["id"] for a in listed] == [pk]


def test_list_has_own_and_published(world: dict[str, Any]) -> None:
    ada = _client(world["people"]["ada"])
    mine = _open(world, ada)
    theirs = svc.assessment_open(
        actor=world["people"]["bo"],
        organisation=world["orgs"]["mill"],
        year=2025,
        catalogue_key=catalogues.ECG_FULL,
    )
    rows = _call(ada, "get", BASE).json()
    for row in rows:
        AssessmentSummaryOut.model_validate(row)
    assert [r["id"] for r in rows] == [mine["id"]]  # the mill's draft is not open to ada
    assert [r["id"] for r in _call(_client(world["people"]["bo"]), "get", BASE).json()] == [
        theirs.pk
    ]
    draft = _call(_client(), "get", f"{BASE}/{mine['id']}")
    _refused(draft, 404)


def test_catalogues_are_listed() -> None:
    rows = _call(_client(), "get", "/api/indicators/catalogues").json()
    assert {"key": catalogues.ECG_FULL, "title": catalogues.ecg_catalogue().title} in rows


def test_openapi_documents_the_refusals() -> None:
    schema = _call(_client(), "get", "/api/openapi.json").json()
    patch = schema["paths"]["/api/indicators/assessments/{assessment_id}/answers"]["patch"]
    assert {"401", "403", "404", "409", "422"} <= set(patch["responses"])
    put = schema["paths"]["/api/indicators/assessments/{assessment_id}/facts"]["put"]
    assert {"401", "403", "404", "409", "422"} <= set(put["responses"])


def test_an_external_auditor_signs_off_with_a_token(world: dict[str, Any]) -> None:
    from solidaria.accounts.models import ApiToken

    ada, pk = _submitted(world)
    for who, org in (("bo", "mill"), ("cy", "farm")):
        body = {"organisation": world["orgs"][org].pk, "entries": {"A1.1": {"comment": "ok"}}}
        assert (
            _call(_client(world["people"][who]), "post", f"{BASE}/{pk}/reviews", body).status_code
            == 201
        )
    # a change in review is a new version; the same change again is none
    url = f"{BASE}/{pk}/answers"
    versions = len(_call(ada, "patch", url, {"answers": {"B1.1": "3"}}).json()["versions"])
    assert len(_call(ada, "patch", url, {"answers": {"B1.1": "3"}}).json()["versions"]) == versions
    auditor = make_member("audra")
    _token, raw = ApiToken.issue(user=auditor, name="test")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    refused = Client().post(f"{BASE}/{pk}/signoff", **bearer)
    _refused(refused, 404)  # not an auditor yet: a submitted assessment is not open to her
    svc.auditor_grant(actor=world["steward"], user=auditor, reason="Certified ECG auditor")
    signed = Client().post(f"{BASE}/{pk}/signoff", **bearer)
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed_off"
    assert Assessment.objects.get(pk=pk).signed_off_by == auditor
    assert (
        Client().post(f"{BASE}/{pk}/signoff", HTTP_AUTHORIZATION="Bearer sol_nope").status_code
        == 401
    )
