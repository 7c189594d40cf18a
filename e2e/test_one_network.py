"""Issue 12, one network: people, organisations, accounts and co-ops meet.

The first section holds helpers every walk-through here may reuse (sign up in the
browser, admit as a steward, log in as someone, the shared world of a steward, a
confirmed organisation and a co-op currency). Each test then walks one part of the
issue through Chromium; `solidaria ledger verify` must pass at the end of each.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-safe-passphrase-42"

# ---------------------------------------------------------------- shared helpers


def sign_up(page: Any, live_server: Any, username: str, *, password: str = PASSWORD) -> Any:
    """Sign up in the browser; returns the new (applicant) user."""
    from solidaria.accounts.models import User

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{live_server.url}/accounts/profile/")
    expect(page.locator("#membership-state")).to_have_text("applied")
    return User.objects.get(username=username)


def log_in_as(page: Any, live_server: Any, user: Any) -> None:
    from e2e.session import log_in

    log_in(page, live_server, user)


def admit(page: Any, live_server: Any, steward: Any, person: Any, reason: str = "Known") -> None:
    """A steward admits `person` on their page (the browser is left logged in as the
    steward)."""
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/accounts/people/{person.pk}/")
    page.get_by_label("Decision").select_option("admit")
    page.locator("#id_decide-reason").fill(reason)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#membership-state")).to_have_text("admitted")


def network(org_name: str = "Hill Bakery") -> dict[str, Any]:
    """A network steward, a confirmed organisation nobody runs yet, a co-op currency
    (EUR-COOP) and a member, bo, with an account in it."""
    from solidaria.accounts.factories import make_member, make_steward
    from solidaria.core.permissions import SYSTEM
    from solidaria.directory.factories import make_organisation
    from solidaria.ledger import services

    steward = make_steward("stew")
    currency = services.currency_create(
        actor=SYSTEM, code="EUR-COOP", name="Co-op euro", default_credit_limit=50_000
    )
    bo = make_member("bo")
    bo_account = services.account_open(actor=SYSTEM, currency=currency, owner=bo)
    return {
        "steward": steward,
        "currency": currency,
        "org": make_organisation(org_name),
        "bo": bo,
        "bo_account": bo_account,
    }


def ledger_verifies() -> None:
    from solidaria.ledger.journal import verify

    report = verify()
    assert report.ok, report.problems[:3]


# ---------------------------------------------------------------- organisations (hA)


def test_a_newcomer_runs_an_organisation_that_pays_and_becomes_a_co_op(  # type: ignore[no-untyped-def]
    page, live_server
):
    from solidaria.ledger.models import Account, Transfer

    world = network()
    steward, org = world["steward"], world["org"]

    # a person signs up and a steward admits them
    dana = sign_up(page, live_server, "dana")
    admit(page, live_server, steward, dana)

    # dana says she runs the bakery; the steward confirms it in the review queue
    log_in_as(page, live_server, dana)
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    page.get_by_text("I run this organisation").click()
    page.get_by_label("How are you involved?").fill("I bake there every morning.")
    page.get_by_role("button", name="Send my claim").click()
    expect(page.locator("#my-claim")).to_be_visible()
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/directory/review/")
    expect(page.get_by_text("I bake there every morning.")).to_be_visible()
    page.get_by_role("button", name="Save").first.click()
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    expect(page.locator("#operators")).to_contain_text("dana")

    # the organisation asks for an account; a steward of the currency approves it and
    # gives it a credit line
    log_in_as(page, live_server, dana)
    page.goto(f"{live_server.url}/ledger/accounts/request/")
    page.get_by_label("Currency").select_option(label="Co-op euro (EUR-COOP)")
    page.locator("#id_organisation").select_option(label="Hill Bakery")
    page.get_by_role("button", name="Send the request").click()
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/ledger/steward/account-requests/")
    page.locator("#main").get_by_role("button", name="Approve", exact=True).click()
    account = Account.objects.get(organisation=org)
    page.goto(f"{live_server.url}/ledger/steward/accounts/{account.pk}/limits/")
    page.get_by_label("Credit limit").fill("100.00")
    page.locator("#id_reason").fill("The bakery's line, as the assembly agreed.")
    page.locator("#main").get_by_role("button", name="Change").click()

    # dana pays bo as the bakery; the statement shows the bakery paid and dana acted
    log_in_as(page, live_server, dana)
    page.goto(f"{live_server.url}/ledger/pay/")
    payer = page.get_by_label("From")
    expect(payer).to_contain_text("as Hill Bakery")
    payer.select_option(value=str(account.pk))
    page.get_by_label("To (member's user name)").fill("bo")
    page.get_by_label("Amount").fill("12.50")
    page.get_by_label("What for").fill("flour")
    page.locator("#main").get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("You paid 12.50 to bo.")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Made by")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("dana")
    transfer = Transfer.objects.get(payer=account)
    assert (transfer.amount_minor, transfer.payee_id, transfer.created_by_id) == (
        1_250,
        world["bo_account"].pk,
        dana.pk,
    )

    # dana founds the bakery's co-op in the web with two member classes
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    page.get_by_role("link", name="Make this organisation a co-op here").click()
    page.get_by_label("Short name for its web address").fill("hill-bakery")
    page.get_by_label("Member classes, one a line").fill("workers: 2\nneighbours")
    page.get_by_role("button", name="Found the co-op").click()
    page.wait_for_url(f"{live_server.url}/governance/hill-bakery/setup/")
    expect(page.get_by_label("Class workers")).to_be_visible()
    expect(page.get_by_label("Class neighbours")).to_be_visible()
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    expect(page.locator("#coop-facts")).to_contain_text("workers")
    ledger_verifies()
