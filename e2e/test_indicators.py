"""Given three organisations of the network, each run by one member, when the bakery's
operator opens an ECG balance, fills in two topics (one saved by the autosave script,
one with the Save button) and the company facts, and submits it, two peers of the other
organisations review it, a steward signs it off and the bakery publishes it, then an
anonymous visitor on a 390 px phone sees the colour-coded matrix with its numbers as
text and the table, and the balance is linked from the organisation's page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FITS = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def network() -> dict[str, Any]:
    from solidaria.accounts.factories import make_member, make_steward
    from solidaria.directory.factories import make_organisation

    people = {n: make_member(n) for n in ("ada", "bo", "cy")}
    orgs = {
        "ada": make_organisation("Bread and Roses Bakery", operators=(people["ada"],)),
        "bo": make_organisation("Valley Mill", operators=(people["bo"],)),
        "cy": make_organisation("Hill Farm", operators=(people["cy"],)),
    }
    return {"people": people, "orgs": orgs, "steward": make_steward("stew")}


def test_an_ecg_balance_is_filled_reviewed_signed_published_and_seen(
    page: Any, browser: Any, live_server: Any, network: dict[str, Any]
) -> None:
    from solidaria.indicators.models import Assessment

    people = network["people"]
    # the bakery's operator opens an ECG balance
    log_in(page, live_server, people["ada"])
    page.goto(f"{live_server.url}/indicators/assessments/")
    page.get_by_label("Organisation").select_option(label="Bread and Roses Bakery")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Catalogue").select_option(value="ecg-full-5.0.8")
    page.get_by_role("button", name="Open").click()
    expect(
        page.get_by_role("heading", name="Assessment of Bread and Roses Bakery, 2025")
    ).to_be_visible()

    # topic A1 is saved by the autosave script, without pressing a button
    page.get_by_label("A1.1", exact=False).fill("5")
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assessment = Assessment.objects.get()
    assert assessment.answers == {"A1.1": "5"}
    # topic C1 with the Save button; the points follow the engine
    page.get_by_role("link", name="C1", exact=True).first.click()
    page.get_by_label("C1.1", exact=False).fill("10")
    page.get_by_role("button", name="Save this part").click()
    expect(page.locator('[data-points="A1"]')).to_have_text("25.00")
    expect(page.locator('[data-points="C1"]')).to_have_text("16.67")  # C1.1 is 1 of 3 aspects
    # company facts
    page.get_by_label("Turnover").fill("300000")
    page.get_by_label("Total staff costs").fill("120000")
    page.get_by_role("button", name="Save the facts").click()
    expect(page.get_by_text("The company facts are saved")).to_be_visible()
    page.get_by_role("button", name="Submit for peer review").click()
    expect(page.get_by_text("Status: submitted, in peer review.")).to_be_visible()

    # two peers of the other organisations review it
    for who, comment in (("bo", "Show the supplier contracts."), ("cy", "Agreed.")):
        log_in(page, live_server, people[who])
        page.goto(f"{live_server.url}/indicators/assessments/")
        page.get_by_role("link", name="Review Bread and Roses Bakery 2025").click()
        page.get_by_label("Comment on A1.1").fill(comment)
        page.get_by_label("Proposed estimation for A1.1").fill("4")
        page.get_by_role("button", name="Send the review").click()
        expect(page.get_by_text("Your review is sent.")).to_be_visible()

    # a steward signs it off
    log_in(page, live_server, network["steward"])
    page.goto(f"{live_server.url}/indicators/assessments/")
    page.get_by_role("link", name="Bread and Roses Bakery 2025").click()
    expect(page.get_by_role("heading", name="Peer reviews")).to_be_visible()
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("Signed off: its organisation may now publish it.")).to_be_visible()

    # the bakery publishes it for everyone
    log_in(page, live_server, people["ada"])
    page.goto(f"{live_server.url}/indicators/assessments/{assessment.pk}/")
    page.get_by_label("Who may see the balance").select_option(value="public")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Common-good matrix")).to_be_visible()

    # an anonymous visitor on a phone sees the matrix chart, its numbers and the table
    context = browser.new_context(locale="en-GB", **PHONE)
    phone = context.new_page()
    org_pk = network["orgs"]["ada"].pk
    phone.goto(f"{live_server.url}/directory/organisations/{org_pk}/")
    phone.get_by_role("link", name="2025 (ecg-full-5.0.8)").click()
    chart = phone.get_by_test_id("ecg-matrix")
    expect(chart).to_be_visible()
    expect(chart.locator("g.cell")).to_have_count(20)
    expect(chart.locator('g[data-topic="C1"]')).to_contain_text("C1")
    expect(phone.get_by_text("Total: ", exact=False).first).to_be_visible()
    table = phone.get_by_role("table", name="Points per topic")
    expect(table.get_by_role("row")).to_have_count(22)  # header, 20 topics, total
    width, screen = phone.evaluate(FITS)
    assert width <= screen, f"the balance is {width}px wide on a {screen}px screen"
    context.close()
