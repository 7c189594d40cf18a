"""Given a draft ECG balance, when its operator fills the company facts (a figure saved by
the autosave script, supplier rows added with the button, a row removed, staff shares
that add up to more than 100 %), then the facts are kept in minor units, the refusal
names the list, the row and the field, and the weights are shown back with why."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_company_facts_rows_autosave_and_weights(page: Any, live_server: Any) -> None:
    from solidaria.accounts.factories import make_member
    from solidaria.directory.factories import make_organisation
    from solidaria.indicators import assessments as svc
    from solidaria.indicators import catalogues
    from solidaria.indicators.models import Assessment

    ada = make_member("ada")
    org = make_organisation("Bread and Roses Bakery", operators=(ada,))
    a = svc.assessment_open(
        actor=ada, organisation=org, year=2025, catalogue_key=catalogues.ECG_FULL
    )
    log_in(page, live_server, ada)
    page.goto(f"{live_server.url}/indicators/assessments/{a.pk}/")
    facts = page.locator("#facts-section")
    # a figure is saved by the autosave script
    facts.get_by_label("Turnover").fill("300000")
    expect(facts.locator("[data-autosave-status]")).to_have_text("Saved.")
    a.refresh_from_db()
    assert a.facts["turnover"] == 30_000_000
    # a supplier row, then "save and add rows" gives three empty rows more
    facts.get_by_label("Total purchases from suppliers").fill("1000")
    supply = page.locator("#facts-supply")
    supply.get_by_label("Country").first.select_option("ESP")
    supply.get_by_label("Industry").first.select_option("A")
    supply.get_by_label("Costs").first.fill("250")
    supply.get_by_role("button", name="Save and add rows").click()
    supply = page.locator("#facts-supply")
    expect(supply.get_by_role("group")).to_have_count(4)  # the row and three empty ones
    expect(supply.get_by_text("25.00 % of the purchases")).to_be_visible()
    a.refresh_from_db()
    assert a.facts["supply"] == [{"country": "ESP", "industry": "A", "costs": 25_000}]
    # staff shares of more than 100 % are refused with a sentence naming the list
    staff = page.locator("#facts-staff")
    staff.get_by_label("Country").first.select_option("ESP")
    staff.get_by_label("Share of the staff (%)").first.fill("120")
    page.get_by_role("button", name="Save the facts").click()
    expect(page.get_by_role("alert").first).to_contain_text("Staff by country, row 1")
    # the row is removed with its checkbox, and the weights say why
    page.locator("#facts-staff").get_by_label("Share of the staff (%)").first.fill("")
    page.locator("#facts-staff").get_by_label("Country").first.select_option("")
    page.locator("#facts-supply").get_by_label("Remove this row").first.check()
    page.get_by_role("button", name="Save the facts").click()
    expect(page.get_by_text("The company facts are saved")).to_be_visible()
    assert Assessment.objects.get(pk=a.pk).facts["supply"] == []
    weights = page.get_by_role("table", name="Weights of the stakeholder groups and topics")
    expect(weights).to_contain_text("This lowers the weight of topic B4 to 0.50")
