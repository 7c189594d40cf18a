"""Given a public budgeting process whose result a steward published, when an anonymous
visitor on a phone 390 px wide opens the result by its shared URL and then the network's
transparency page, then both read without logging in and no page is wider than the
screen; a members-only process asks the visitor to log in and says why."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(locale="en-GB", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route(  # nothing from other sites: no CDN, no tiles
        re.compile(r"^https?://(?!" + re.escape(live_server.url.split("://")[1]) + ").*"),
        lambda route: route.abort(),
    )
    yield page
    context.close()


@pytest.fixture
def published() -> dict[str, Any]:
    from solidaria.accounts.factories import make_member, make_steward
    from solidaria.core.tests.network import build
    from solidaria.ledger.checkpoints import take_checkpoint

    net = build(make_member("ada"), make_member("bo"), make_steward("stew"), published=True)
    take_checkpoint()
    return net.ids


def _fits(page: Any) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width == 390, f"{page.url} is {scroll_width} px wide"


def test_a_visitor_opens_a_shared_result_and_the_transparency_page(
    phone: Any, live_server: Any, published: dict[str, Any]
) -> None:
    # when an anonymous visitor opens the result's shared address
    phone.goto(f"{live_server.url}/budgeting/{published['process']}/results/")

    # then the published result reads without logging in
    expect(phone.get_by_role("heading", level=1)).to_have_text("Results: Park fund")
    expect(phone.locator("main")).to_contain_text("Bench")
    assert phone.url.endswith(f"/budgeting/{published['process']}/results/")  # not sent to log in
    _fits(phone)

    # and the transparency page gives the figures, a chart with its table and the checkpoint
    phone.goto(f"{live_server.url}/transparency/")
    expect(phone.get_by_role("heading", name="The network in figures")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Sol (SOL)")
    expect(phone.get_by_role("img", name=re.compile("Volume per month"))).to_be_visible()
    expect(phone.get_by_role("table").nth(1)).to_contain_text("2.50 SOL")
    expect(phone.locator("main")).to_contain_text("solidaria ledger verify --checkpoints")
    expect(phone.get_by_role("link", name="Park fund")).to_be_visible()
    _fits(phone)


def test_a_members_only_process_asks_the_visitor_to_log_in(
    phone: Any, live_server: Any, published: dict[str, Any]
) -> None:
    from solidaria.budgeting.models import Process

    Process.objects.filter(slug=published["process"]).update(visibility="members")

    phone.goto(f"{live_server.url}/budgeting/{published['process']}/results/")

    expect(phone.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(phone.locator(".messages")).to_contain_text(
        "This budgeting process is for members of the network only. Log in to see it."
    )
    _fits(phone)
