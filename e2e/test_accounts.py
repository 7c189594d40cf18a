"""Given a new visitor, when they sign up, log out and log in again, then they are known."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_up_log_out_and_log_in(page, live_server):  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-safe-passphrase-42")
    page.get_by_label("Password confirmation").fill("a-long-safe-passphrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_role("link", name="newcomer")).to_be_visible()
    expect(page.locator("#membership-state")).to_have_text("applied")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-safe-passphrase-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="newcomer")).to_be_visible()


def test_an_applicant_waits_and_a_steward_admits_them(  # type: ignore[no-untyped-def]
    page, live_server
):
    from e2e.session import log_in
    from solidaria.accounts.factories import make_applicant, make_steward

    newcomer = make_applicant("newcomer")
    steward = make_steward("stew")
    # the applicant cannot use the ledger yet, and is told why
    log_in(page, live_server, newcomer)
    response = page.goto(f"{live_server.url}/ledger/")
    assert response is not None and response.status == 403
    expect(page.get_by_text("waiting for a steward")).to_be_visible()
    # a steward admits them from the people page, with a reason
    log_in(page, live_server, steward)
    page.goto(f"{live_server.url}/accounts/people/")
    page.get_by_role("link", name="newcomer").click()
    page.get_by_label("Decision").select_option("admit")
    page.locator("#id_decide-reason").fill("Met at the assembly.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#membership-state")).to_have_text("admitted")
    # now the ledger opens for them
    log_in(page, live_server, newcomer)
    response = page.goto(f"{live_server.url}/ledger/")
    assert response is not None and response.status == 200


def test_switch_language_to_spanish_and_bengali(page, live_server):  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_role("link", name="Directorio").first).to_be_visible()

    page.get_by_label("Idioma").select_option("bn")
    page.get_by_role("button", name=re.compile("Cambiar")).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "bn"
    expect(page.get_by_role("link", name="ডিরেক্টরি").first).to_be_visible()
