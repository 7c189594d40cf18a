"""Given demo-like data (a slice of the real directory, the ledger, clearing, budgeting and
governance demos), when a steward browses on a phone 390 px wide, then no page is wider
than the screen, the header menu and the directory's filters fold behind buttons (and
are simply open without JavaScript), and the map tells what it shows."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in
from solidaria.directory.tests.conftest import COOPSUK, csv_slice

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FITS = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def demo(tmp_path: Path) -> dict[str, Any]:
    from solidaria.budgeting.models import Process
    from solidaria.core.demo import STEWARD, demo_users
    from solidaria.directory.importers.pipeline import run_import
    from solidaria.directory.models import Organisation
    from solidaria.directory.taxonomy import load_taxonomies
    from solidaria.governance.models import Cooperative, Poll

    users = demo_users()
    load_taxonomies()
    sample = csv_slice(COOPSUK, tmp_path / "coopsuk.csv", 60)  # three pages of results
    assert run_import(path=sample, fmt="coopsuk").created > 40
    for app in ("ledger", "clearing", "budgeting", "governance"):
        module = __import__(f"solidaria.{app}.demo", fromlist=["load"])
        module.load(stdout=io.StringIO())
    finished = Process.objects.filter(phase="results").first()
    return {
        "steward": users[STEWARD],
        "org": Organisation.objects.filter(status="confirmed", latitude__isnull=False)
        .order_by("pk")
        .first(),
        "process": finished or Process.objects.first(),
        "coop": Cooperative.objects.first(),
        "poll": Poll.objects.order_by("pk").first(),
    }


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Any:
    """A phone-sized page that never leaves the test server (map tiles are refused)."""
    context = browser.new_context(locale="en-GB", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route(
        re.compile(r"^https?://(?!" + re.escape(live_server.url.split("://")[1]) + ").*"),
        lambda route: route.abort(),
    )
    yield page
    context.close()


def _fits(page: Any, path: str) -> None:
    scroll_width, inner_width = page.evaluate(FITS)
    assert inner_width == 390, path
    assert scroll_width <= inner_width, f"{path} is {scroll_width} px wide"


def test_no_page_is_wider_than_a_phone(phone: Any, live_server: Any, demo: dict[str, Any]) -> None:
    process, coop, poll = demo["process"], demo["coop"], demo["poll"]
    pages = [
        "/",
        "/directory/",
        "/directory/?q=zzzqqq&country=GB",
        "/directory/map/",
        f"/directory/organisations/{demo['org'].pk}/",
        "/ledger/",
        "/ledger/pay/",
        "/ledger/offers-wants/",
        "/clearing/",
        "/budgeting/",
        f"/budgeting/{process.slug}/",
        f"/budgeting/{process.slug}/results/",
        "/governance/",
        f"/governance/{coop.slug}/",
        f"/governance/polls/{poll.pk}/",
        "/accounts/profile/",
    ]
    for path in ["/accounts/login/", "/accounts/signup/"]:
        phone.goto(live_server.url + path)
        _fits(phone, path)
    log_in(phone, live_server, demo["steward"])
    for path in pages:
        response = phone.goto(live_server.url + path)
        assert response.status == 200, path
        phone.wait_for_load_state("load")
        _fits(phone, path)


def test_the_menu_folds_behind_a_button(phone: Any, live_server: Any, demo: dict[str, Any]) -> None:
    log_in(phone, live_server, demo["steward"])
    phone.goto(f"{live_server.url}/directory/")
    directory = phone.get_by_role("navigation", name="Main").get_by_role("link", name="Map")
    expect(directory).to_be_hidden()
    menu = phone.locator("summary", has_text="Menu")
    menu.click()
    expect(directory).to_be_visible()
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()
    _fits(phone, "/directory/ with the menu open")
    # the filters, too: folded, then open on demand
    country = phone.get_by_label("Country")
    expect(country).to_be_hidden()
    phone.locator("summary", has_text="Filters").click()
    expect(country).to_be_visible()


def test_without_javascript_menu_and_filters_are_open(
    browser: Any, live_server: Any, demo: dict[str, Any]
) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/directory/?q=zzzqqq")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Directory")).to_be_visible()
    expect(page.get_by_label("Country")).to_be_visible()
    expect(page.get_by_role("link", name="Remove “Search: zzzqqq”")).to_be_visible()
    _fits(page, "/directory/ without JavaScript")
    context.close()


def test_the_map_on_a_phone_says_what_it_shows(
    phone: Any, live_server: Any, demo: dict[str, Any]
) -> None:
    org = demo["org"]
    phone.goto(f"{live_server.url}/directory/map/?q={org.name.split()[0]}")
    status = phone.locator("#map-status")
    expect(status).to_have_text(re.compile(r"^Showing [\d,]+ organisations? in this area$"))
    expect(phone.locator("#map-tiles-notice")).to_be_visible()  # tiles were refused
    assert phone.locator("#map").get_attribute("role") == "region"
    _fits(phone, "/directory/map/")
    phone.goto(f"{live_server.url}/directory/map/?q={org.name}")
    expect(status).to_have_text("Showing 1 organisation in this area")
    point = phone.locator(".point-icon")
    expect(point).to_have_attribute("title", org.name)
    point.click()
    popup = phone.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(org.name)
    link = popup.get_by_role("link", name="Open its page")
    expect(link).to_have_attribute("href", f"/directory/organisations/{org.pk}/")
    link.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(org.name)
