"""Given two members with accounts, when one asks the other for a payment, then the other
finds it in their inbox (the header says how many are unread) and on their home page,
pays it from there, and the one who asked is told; a steward is told of a directory entry
to review, decides from the link, and the proposer is told."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people() -> dict[str, Any]:
    from solidaria.accounts.factories import make_member, make_steward
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services

    ada = make_member(username="ada", email="ada@example.org", password="x")
    bo = make_member(username="bo", email="bo@example.org", password="x")
    credits = services.currency_create(
        actor=SYSTEM,
        code="CRED",
        name="Community credits",
        exponent=2,
        default_credit_limit=10_000,
        credit_policy="admitted_members_get_default",
    )
    return {
        "ada": ada,
        "bo": bo,
        "stew": make_steward(username="stew", email="stew@example.org", password="x"),
        "ada_acc": services.account_open(actor=ada, currency=credits),
        "bo_acc": services.account_open(actor=bo, currency=credits),
    }


def _inbox(page: Any, live_server: Any) -> Any:
    page.goto(f"{live_server.url}/notifications/")
    return page.get_by_role("list", name="Notifications")


def test_a_payment_request_reaches_the_payer_and_its_payment_the_payee(  # type: ignore[no-untyped-def]
    page, live_server, people
):
    # ada asks bo for 3.00
    log_in(page, live_server, people["ada"])
    page.goto(f"{live_server.url}/ledger/request/")
    page.get_by_label("Into").select_option(str(people["ada_acc"].pk))
    page.get_by_label("From (member's user name)").fill("bo")
    page.get_by_label("Amount").fill("3.00")
    page.get_by_label("What for").fill("Jam")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(f"{live_server.url}/ledger/")

    # bo: the header counts it, the inbox says it, the home page lists it
    log_in(page, live_server, people["bo"])
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Inbox, 1 unread")).to_be_visible()
    expect(page.get_by_text(re.compile("payment request waits for you to pay"))).to_be_visible()
    inbox = _inbox(page, live_server)
    item = inbox.get_by_role("listitem").filter(has_text="ada asks you to pay 3.00 CRED: Jam.")
    expect(item).to_be_visible()
    expect(item.get_by_text("unread")).to_be_visible()
    item.get_by_role("button", name=re.compile("^Open")).click()
    page.wait_for_url(f"{live_server.url}/ledger/")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("status").get_by_text("You paid the request.")).to_be_visible()
    expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()  # all read

    # ada is told it was paid
    log_in(page, live_server, people["ada"])
    inbox = _inbox(page, live_server)
    expect(inbox.get_by_text("bo paid your request for 3.00 CRED.")).to_be_visible()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("You have 0 unread notifications.")).to_be_visible()


def test_a_steward_is_told_of_an_entry_to_review_and_decides(  # type: ignore[no-untyped-def]
    page, live_server, people
):
    # bo proposes an organisation for the directory
    log_in(page, live_server, people["bo"])
    page.goto(f"{live_server.url}/directory/organisations/new/")
    page.get_by_label(re.compile(r"^Name( \*)?$")).fill("Bo's Bike Co-op")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/directory/organisations/\d+/"))

    # the steward is told, follows the link and confirms it
    log_in(page, live_server, people["stew"])
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Inbox, 1 unread")).to_be_visible()
    inbox = _inbox(page, live_server)
    item = inbox.get_by_role("listitem").filter(has_text="bo proposed Bo's Bike Co-op")
    item.get_by_role("button", name=re.compile("^Open")).click()
    page.wait_for_url(f"{live_server.url}/directory/review/")
    row = page.get_by_role("row", name=re.compile("Bo's Bike Co-op"))
    row.get_by_label("Decision").select_option("confirm")
    row.get_by_role("button", name="Save").click()

    # bo is told it was accepted
    log_in(page, live_server, people["bo"])
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Inbox, 1 unread")).to_be_visible()
    inbox = _inbox(page, live_server)
    expect(inbox.get_by_text("Your directory entry Bo's Bike Co-op was accepted.")).to_be_visible()
