"""The company-facts form: every field of the calculator's facts format (supply chain by
country and industry, staff by country, turnover by industry), rows added and removed
without JavaScript, sentences naming the row and field, autosave, and the weights shown
back; filled with `company_facts_non_empty.json` it gives exactly the engine's result."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.accounts.factories import make_member
from solidaria.core.errors import ValidationFailed
from solidaria.core.paths import bundled_data_dir
from solidaria.directory.factories import make_organisation
from solidaria.indicators import assessments as svc
from solidaria.indicators import catalogues, company_facts
from solidaria.indicators.engine.ecg import RatingInput, compute_balance
from solidaria.indicators.engine.ecg_facts import analyse_facts, topic_weights
from solidaria.indicators.engine.ecg_io import facts_from_json, load_json
from solidaria.indicators.models import Assessment

pytestmark = pytest.mark.django_db

CASE = "indicators/ecg/cases/company_facts_non_empty.json"
ANSWERS = {"A1.1": "5", "A3.1": "7", "B2.1": "3", "C3.1": "9", "D4.1": "4", "A3.2": "-20"}


def _assessment() -> tuple[Client, Assessment, Any]:
    ada = make_member("ada")
    org = make_organisation("Bakery", operators=(ada,))
    a = svc.assessment_open(
        actor=ada, organisation=org, year=2025, catalogue_key=catalogues.ECG_FULL
    )
    a = svc.answers_save(actor=ada, assessment=a, answers=ANSWERS)
    client = Client()
    client.force_login(ada)
    return client, a, ada


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "100",
    }


def _post_of(calc: dict[str, Any]) -> dict[str, str]:
    """What a person types into the form for the calculator's facts (amounts in currency
    units as they are written, shares 0..1 as percentages)."""
    post: dict[str, str] = {}
    for key, name in company_facts.CALCULATOR_NAMES.items():
        value = calc.get(name)
        if key in ("has_canteen",):
            post[f"facts-{key}"] = {True: "yes", False: "no", None: ""}[value]
        elif key == "is_b2b":
            if value:
                post[f"facts-{key}"] = "on"
        else:
            post[f"facts-{key}"] = str(value if value is not None else "")
    post["facts-other_suppliers_country"] = calc["mainOriginOfOtherSuppliers"]["countryCode"]
    supply, staff, sectors = (
        calc["supplyFractions"],
        calc["employeesFractions"],
        calc["industrySectors"],
    )
    post.update(_management("supply", len(supply)))
    for i, s in enumerate(supply):
        post[f"supply-{i}-country"] = s["countryCode"]
        post[f"supply-{i}-industry"] = s["industryCode"]
        post[f"supply-{i}-costs"] = str(s["costs"])
    post.update(_management("staff", len(staff)))
    for i, e in enumerate(staff):
        post[f"staff-{i}-country"] = e["countryCode"]
        post[f"staff-{i}-percent"] = str(Decimal(str(e["percentage"])) * 100)
    post.update(_management("sectors", len(sectors)))
    for i, s in enumerate(sectors):
        post[f"sectors-{i}-industry"] = s["industryCode"]
        post[f"sectors-{i}-percent"] = str(Decimal(str(s["amountOfTotalTurnover"])) * 100)
        post[f"sectors-{i}-description"] = s.get("description", "")
    return post


def _same_as_engine(case_file: Path) -> None:
    calc = json.loads(case_file.read_text(encoding="utf-8"))
    client, a, _ada = _assessment()
    # when the form is filled with the file's values
    response = client.post(reverse("indicators:assessment_facts", args=[a.pk]), _post_of(calc))
    assert response.status_code == 302, response.content.decode()[:2000]
    a.refresh_from_db()
    # then the platform's balance is exactly the engine's for that file
    expected_facts = facts_from_json(load_json(case_file.read_text(encoding="utf-8")))
    cat = catalogues.ecg_catalogue()
    tables = catalogues.ecg_tables()
    ours = svc.ecg_balance(a)
    engine = compute_balance(
        cat.topics,
        [],  # no ratings: the weights and maxima only
        expected_facts,
        tables,
    )
    assert company_facts.to_engine(a.facts).supply_fractions == expected_facts.supply_fractions
    assert (
        company_facts.to_engine(a.facts).employees_fractions == expected_facts.employees_fractions
    )
    assert ours.analysis == analyse_facts(expected_facts, tables)
    assert ours.derived_topic_weights == topic_weights(
        expected_facts, analyse_facts(expected_facts, tables)
    )
    assert ours.stakeholder_weights == engine.stakeholder_weights
    assert [(t.code, t.max_points) for t in ours.topics] == [
        (t.code, t.max_points) for t in engine.topics
    ]
    # and with the same ratings the same points, to the last fraction
    with_ratings = compute_balance(
        cat.topics,
        [RatingInput(code=c, estimation=Fraction(Decimal(v))) for c, v in ANSWERS.items()],
        expected_facts,
        tables,
    )
    assert ours.total == with_ratings.total
    assert [(r.code, r.points) for r in ours.ratings] == [
        (r.code, r.points) for r in with_ratings.ratings
    ]
    # the form shown again has the values as typed
    page = client.get(reverse("indicators:assessment", args=[a.pk])).content.decode()
    assert 'value="10000.00"' in page
    assert 'value="50"' in page


def test_the_form_with_the_bundled_case_gives_the_engine_result() -> None:
    _same_as_engine(bundled_data_dir() / CASE)


def test_the_form_with_the_shared_case_gives_the_engine_result(shared_data: Path) -> None:
    _same_as_engine(shared_data / CASE)


def test_from_calculator_keeps_every_field() -> None:
    calc = load_json((bundled_data_dir() / CASE).read_text(encoding="utf-8"))
    stored = company_facts.from_calculator(calc)
    assert stored["total_purchase_from_suppliers"] == 1_000_000  # 10000 in cents
    assert stored["supply"] == [
        {"country": "ARE", "industry": "A", "costs": 50_000},
        {"country": "AFG", "industry": "Ce", "costs": 60_000},
    ]
    assert stored["staff"] == [
        {"country": "AFG", "percent": "50"},
        {"country": "ARE", "percent": "50"},
    ]
    assert stored["has_canteen"] is False
    assert company_facts.other_suppliers_costs(stored) == 890_000  # the file's 8900
    # the other suppliers' costs are derived (as the calculator derives them), not stored
    engine = facts_from_json(calc)
    assert company_facts.to_engine(stored).other_suppliers_costs == engine.other_suppliers_costs
    assert company_facts.to_engine(stored) == replace(engine, main_origin_costs=None)


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        ({"staff": [{"country": "ESP", "percent": "60"}, {"country": "FRA", "percent": "41"}]},
         "staff.1.percent", "101 %"),
        ({"sectors": [{"industry": "ZZ", "percent": "10"}]}, "sectors.0.industry", "row 1"),
        ({"supply": [{"country": "XXX", "industry": "A", "costs": 5}],
          "total_purchase_from_suppliers": 10}, "supply.0.country", "row 1"),
        ({"supply": [{"country": "ESP", "industry": "A", "costs": 500}],
          "total_purchase_from_suppliers": 100}, "total_purchase_from_suppliers", "more than"),
        ({"turnover": -5}, "turnover", "not below 0"),
        ({"turnover": 12.5}, "turnover", "cents"),
        ({"turnover": True}, "turnover", "cents"),
        ({"staff": [{"country": "ESP", "percent": "101"}]}, "staff.0.percent", "at most 100"),
        ({"staff": [{"country": "ESP", "percent": "-1"}]}, "staff.0.percent", "not below 0"),
        ({"number_of_employees": "NaN"}, "number_of_employees", "number"),
        ({"number_of_employees": "1.123456"}, "number_of_employees", "decimal places"),
        ({"has_canteen": "maybe"}, "has_canteen", "not stated"),
        ({"colour": "red"}, "colour", "not a company fact"),
        ({"supply": [{"country": "ESP", "industry": "A", "costs": 1, "x": 1}],
          "total_purchase_from_suppliers": 10}, "supply.0.x", "row 1"),
        ({"supply": "ESP"}, "supply", "list"),
        ({"supply": [{"country": "ESP", "industry": "A", "costs": 1}] * 101,
          "total_purchase_from_suppliers": 1000}, "supply", "at most 100"),
        ({"other_suppliers_country": "Mars"}, "other_suppliers_country", "Mars"),
    ],
)  # fmt: skip
def test_bad_facts_are_refused_naming_row_and_field(
    facts: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        company_facts.clean(facts)
    assert caught.value.field == field
    assert words in caught.value.message


def test_the_page_names_the_row_and_field_and_keeps_what_was_typed() -> None:
    client, a, _ada = _assessment()
    post = {
        "facts-total_purchase_from_suppliers": "1000",
        "facts-other_suppliers_country": "AWO",
        **_management("supply", 1),
        "supply-0-country": "ESP",
        "supply-0-industry": "A",
        "supply-0-costs": "-5",
        **_management("staff", 2),
        "staff-0-country": "ESP",
        "staff-0-percent": "70",
        "staff-1-country": "FRA",
        "staff-1-percent": "40",
        **_management("sectors", 0),
    }
    response = client.post(reverse("indicators:assessment_facts", args=[a.pk]), post)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Supply chain, row 1, Costs: An amount is not below 0." in page
    # the row problem comes first (the form's own), then, once it is fixed, the sum
    post["supply-0-costs"] = "5"
    response = client.post(reverse("indicators:assessment_facts", args=[a.pk]), post)
    assert response.status_code == 422
    assert "Staff by country: the shares add up to 110 %, more than 100 %." in (
        response.content.decode()
    )
    a.refresh_from_db()
    assert a.facts == {}


def test_rows_are_added_and_removed_without_javascript() -> None:
    client, a, _ada = _assessment()
    url = reverse("indicators:assessment_facts", args=[a.pk])
    post = {
        "facts-total_purchase_from_suppliers": "1000.50",
        "facts-other_suppliers_country": "DEU",
        **_management("supply", 2),
        "supply-0-country": "ESP",
        "supply-0-industry": "A",
        "supply-0-costs": "100",
        "supply-1-country": "",
        "supply-1-industry": "",
        "supply-1-costs": "",
        **_management("staff", 1),
        **_management("sectors", 1),
        "step": "add-supply",
    }
    # "save and add rows": saved, and the page comes back with three empty supply rows
    response = client.post(url, post)
    assert response.status_code == 302
    assert response["Location"].endswith("?add=supply#facts-supply")
    a.refresh_from_db()
    assert a.facts["supply"] == [{"country": "ESP", "industry": "A", "costs": 10_000}]
    assert a.facts["total_purchase_from_suppliers"] == 100_050
    page = client.get(response["Location"]).content.decode()
    assert 'name="supply-TOTAL_FORMS" value="4"' in page
    assert "10.00 % of the purchases" in page  # 100 of 1000.50, rounded for display
    # a row ticked "remove" goes
    post = {
        **post,
        **_management("supply", 1, initial=1),
        "supply-0-DELETE": "on",
        "step": "save",
    }
    assert client.post(url, post).status_code == 302
    a.refresh_from_db()
    assert a.facts["supply"] == []
    assert a.facts["other_suppliers_country"] == "DEU"


def test_autosave_answers_json_like_the_parts() -> None:
    client, a, _ada = _assessment()
    url = reverse("indicators:assessment_facts", args=[a.pk])
    base = {
        "facts-turnover": "2000",
        "facts-other_suppliers_country": "AWO",
        **_management("supply", 0),
        **_management("staff", 0),
        **_management("sectors", 0),
    }
    response = client.post(url, base, headers={"X-Autosave": "1"})
    assert response.json() == {"saved": True, "message": "Saved."}
    response = client.post(url, {**base, "facts-turnover": "x"}, headers={"X-Autosave": "1"})
    assert response.status_code == 422
    assert response.json()["saved"] is False
    assert "Turnover" in response.json()["message"]
    a.refresh_from_db()
    assert a.facts["turnover"] == 200_000


def test_the_page_says_why_the_facts_change_the_weights() -> None:
    client, a, ada = _assessment()
    svc.facts_save(
        actor=ada,
        assessment=a,
        facts={
            "turnover": 100_000_00,
            "profit": 20_000_00,
            "total_assets": 50_000_00,
            "number_of_employees": "3",
            "average_journey_to_work_km": "30",
            "is_b2b": True,
        },
    )
    page = client.get(reverse("indicators:assessment", args=[a.pk])).content.decode()
    text = re.sub(r"\s+", " ", page)
    assert "This raises the weight of topic D4 to 1.50 because most customers are other" in text
    assert "This raises the weight of topic B2 to 1.50 because the profit is 20.00 % of" in text
    assert "This raises the weight of topic C3 to 1.50 because the average journey" in text
    assert "This lowers the weight of topic B4 to 0.50 because it is a micro company" in text
    assert 'data-weight="A3">1.00<' in page
    assert "Topic A3 keeps the weight 1 because the ecological risk" in text


def test_an_empty_form_says_every_topic_weighs_one() -> None:
    client, a, _ada = _assessment()
    page = client.get(reverse("indicators:assessment", args=[a.pk])).content.decode()
    assert "every topic weighs 1" in page


def test_another_member_cannot_save_facts() -> None:
    _client, a, _ada = _assessment()
    bo = make_member("bo")
    other = Client()
    other.force_login(bo)
    response = other.post(
        reverse("indicators:assessment_facts", args=[a.pk]),
        {"facts-turnover": "1", **_management("supply", 0)},
    )
    assert response.status_code in (403, 404)
    a.refresh_from_db()
    assert a.facts == {}


def test_demo_facts_and_migrated_facts_are_valid() -> None:
    import importlib

    from solidaria.indicators.demo_balances import _facts

    for i in range(6):
        cleaned = company_facts.clean(_facts(i))
        assert {k: cleaned[k] for k in _facts(i)} == _facts(i)
    # an assessment saved in the old format (calculator names, decimal text in currency
    # units) is read the same after migration 0003
    migration = importlib.import_module(
        "solidaria.indicators.migrations.0003_company_facts_minor_units"
    )
    old = {"turnover": "2000.5", "profit": "-3", "hasCanteen": False, "isB2B": True,
           "numberOfEmployees": "4", "mainOriginOfOtherSuppliers": "ESP"}  # fmt: skip
    new = migration._convert(old)
    assert company_facts.clean(new) == new
    assert new["turnover"] == 200_050
    assert new["profit"] == -300
    assert new["has_canteen"] is False
    assert new["other_suppliers_country"] == "ESP"
