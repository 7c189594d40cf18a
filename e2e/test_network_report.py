"""Given the ledger, clearing, budgeting and governance demos and the demo people's
declared genders, when a steward computes this year's network report from the reports
page, then an anonymous visitor reads every indicator with its figures in a table (the
gender balance with its small groups suppressed), the balances section, follows a figure
to how it is computed, downloads the CSV, and the report fits a 390 px phone."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FITS = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def demo() -> Any:
    from solidaria.core.demo import STEWARD, demo_users

    users = demo_users()
    for app in ("ledger", "clearing", "budgeting", "governance"):
        module = __import__(f"solidaria.{app}.demo", fromlist=["load"])
        module.load(stdout=io.StringIO())
    from solidaria.indicators.demo import declare_genders

    declare_genders(stdout=io.StringIO())
    return users[STEWARD]


def test_steward_computes_the_report_and_a_visitor_reads_it(
    page: Any, browser: Any, live_server: Any, demo: Any
) -> None:
    year = timezone.now().year
    # a steward asks for this year's report
    log_in(page, live_server, demo)
    page.goto(f"{live_server.url}/indicators/")
    expect(page.get_by_role("heading", name="Network reports", level=1)).to_be_visible()
    page.get_by_label("Year").fill(str(year))
    page.get_by_role("button", name="Compute the report").click()
    expect(page.get_by_role("heading", name=f"Network report {year}", level=1)).to_be_visible()

    # an anonymous visitor on a phone reads it
    context = browser.new_context(locale="en-GB", **PHONE)
    phone = context.new_page()
    phone.goto(f"{live_server.url}/indicators/{year}/")
    for name in (
        "Mutual-credit volume",
        "Accounts in credit",
        "Debt set off by clearing",
        "Turnout in co-op polls",
        "Hours exchanged in the time bank",
    ):
        expect(phone.get_by_role("heading", name=name, level=2)).to_be_visible()
    table = phone.get_by_role("table", name="Turnout in co-op polls")
    expect(table.get_by_role("row")).not_to_have_count(1)  # header + at least one poll
    # the gender balance: women and men counted, groups of fewer than 5 suppressed
    genders = phone.get_by_role("table", name="Gender balance of the members")
    expect(genders.get_by_role("row", name="Women")).to_contain_text("%")
    expect(genders.get_by_role("row", name="Non-binary people")).to_contain_text("fewer than 5")
    expect(phone.get_by_role("heading", name="Gender balance of the stewards")).to_be_visible()
    expect(phone.get_by_text("two-spirit")).to_have_count(0)
    expect(
        phone.get_by_role("heading", name=f"Common-good balances published for {year}")
    ).to_be_visible()
    width, screen = phone.evaluate(FITS)
    assert width <= screen, f"the report is {width}px wide on a {screen}px screen"

    # a figure links to how it is computed
    phone.get_by_role("link", name="How “Liquidity saved by clearing” is computed").click()
    expect(
        phone.get_by_role("heading", name="Liquidity saved by clearing", level=2)
    ).to_be_visible()
    assert phone.url.endswith("/indicators/methods/#clearing.liquidity_saved")

    # and the CSV downloads with every figure
    phone.goto(f"{live_server.url}/indicators/{year}/")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("year,indicator,title,subject")
    assert "clearing.set_off" in text and "governance.poll_turnout" in text
    assert "people.gender_members" in text and "fewer than 5" in text
    context.close()
