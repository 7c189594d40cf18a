"""Given ada's offer, when bo uses a phone 390 px wide with JavaScript off, then he comments
naming ada, replies through the folded reply form, writes to ada privately, and ada ends
the conversation with a payment request; no page is wider than the screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(locale="en-GB", java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route(
        re.compile(r"^https?://(?!" + re.escape(live_server.url.split("://")[1]) + ").*"),
        lambda route: route.abort(),
    )
    yield page
    context.close()


@pytest.fixture
def offer() -> dict[str, Any]:
    from solidaria.accounts.factories import make_member
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services
    from solidaria.ledger.listings import listing_create

    ada, bo = make_member("ada"), make_member("bo")
    sol = services.currency_create(
        actor=SYSTEM, code="SOL", name="Sol", exponent=2, default_credit_limit=10_000
    )
    for user in (ada, bo):
        services.account_open(actor=SYSTEM, currency=sol, owner=user)
    listing = listing_create(
        actor=ada,
        kind="offer",
        title="Sourdough bread",
        category="food",
        description="Two loaves a week",
        price="4.50",
        currency=sol,
    )
    return {"ada": ada, "bo": bo, "listing": listing}


def _fits(page: Any) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width == 390, f"{page.url} is {scroll_width} px wide"


def test_comment_reply_and_conversation_without_javascript(
    phone: Any, live_server: Any, offer: dict[str, Any]
) -> None:
    url = f"{live_server.url}/ledger/offers-wants/{offer['listing'].pk}/"
    log_in(phone, live_server, offer["bo"])
    phone.goto(url)
    _fits(phone)

    phone.get_by_label("Your comment").fill("Is it wholemeal, @ada?")
    phone.get_by_role("button", name="Post comment").click()
    comment = phone.locator("article.comment").first
    expect(comment).to_contain_text("Is it wholemeal,")
    expect(comment.get_by_role("link", name="@ada")).to_be_visible()

    phone.locator("summary", has_text="Reply").first.click()
    phone.get_by_label("Your reply").fill("And rye on Fridays?")
    phone.get_by_role("button", name="Post reply").click()
    expect(phone.locator("ol.replies")).to_contain_text("And rye on Fridays?")
    _fits(phone)

    phone.get_by_role("link", name="Write privately to its author").click()
    phone.get_by_label("Your message").fill("Two loaves on Friday?")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("ol.messages-list")).to_contain_text("Two loaves on Friday?")
    _fits(phone)
    conversation = phone.url

    log_in(phone, live_server, offer["ada"])
    phone.goto(conversation)
    phone.get_by_label("Amount").fill("9")
    phone.get_by_role("button", name="Send the payment request").click()
    expect(phone.locator("ol.messages-list")).to_contain_text("Payment request: 9.00 SOL (open).")
    _fits(phone)
