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
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="newcomer")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-safe-passphrase-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="newcomer")).to_be_visible()


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
