"""Given three members whose confirmed invoices form a cycle, when a steward starts a
clearing run from the clearing page, then the run page shows the summary and the cycle;
after the steward proposes it and its members accept, a member's set-off notice shows
what was set off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def triangle() -> dict[str, Any]:
    """ada owes bo 100.00, bo owes carla 60.00, carla owes ada 80.50; all confirmed."""
    from solidaria.accounts.factories import make_member
    from solidaria.accounts.models import User
    from solidaria.clearing import services
    from solidaria.ledger import services as ledger

    stew = make_member(username="stew", password="x", role=User.Role.STEWARD)
    people = {n: make_member(username=n, password="x") for n in ("ada", "bo", "carla")}
    sol = ledger.currency_create(actor=stew, code="SOL", name="Sol community credits", exponent=2)
    services.obligations_import(
        actor=stew,
        currency=sol,
        text=(
            "debtor,creditor,amount,reference\n"
            "ada,bo,100.00,INV-1\nbo,carla,60.00,INV-2\ncarla,ada,80.50,INV-3\n"
        ),
        confirm_both=True,
    )
    return {"stew": stew, "sol": sol, **people}


def test_steward_clears_a_cycle_and_a_member_reads_the_notice(page, live_server, triangle):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from solidaria.clearing import services
    from solidaria.clearing.models import ClearingRun, Obligation

    log_in(page, live_server, triangle["stew"])
    page.goto(f"{live_server.url}/clearing/")
    run_form = page.locator("form").filter(
        has=page.get_by_role("button", name="Start a clearing run")
    )
    run_form.get_by_label("Currency").select_option(str(triangle["sol"].pk))
    run_form.get_by_role("button", name="Start a clearing run").click()

    run = ClearingRun.objects.get()
    page.wait_for_url(f"{live_server.url}/clearing/runs/{run.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Clearing run {run.pk} (SOL)"
    expect(page.get_by_text("Status: Computed")).to_be_visible()
    facts = dict(
        zip(
            page.locator("dl.facts dt").all_inner_texts(),
            page.locator("dl.facts dd").all_inner_texts(),
            strict=True,
        )
    )
    assert facts["Obligations"] == "3"
    assert facts["Members touched"] == "3"
    assert facts["Set off"].startswith("180.00")
    assert facts["Total debt"] == "240.50 SOL"
    expect(page.get_by_role("heading", name="Largest cycles found")).to_be_visible()
    cycle = page.get_by_role("listitem").filter(has_text=re.compile(r"→.*: 60\.00 SOL$"))
    assert sorted(cycle.inner_text().split(":")[0].split(" → ")[:3]) == ["ada", "bo", "carla"]

    # the steward proposes it to its members; once all three accept, it is applied
    deadline = timezone.localtime() + dt.timedelta(days=3)
    page.get_by_label("Members answer by").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Note to the members").fill("Monthly clearing")
    page.get_by_role("button", name="Propose to the members").click()
    expect(page.get_by_role("status")).to_have_text("Proposed: the members it touches are asked.")
    for name in ("ada", "bo", "carla"):
        services.run_respond(actor=triangle[name], run=run, answer="accept")
    page.reload()
    expect(page.get_by_text("Status: Accepted and applied")).to_be_visible()
    remaining = dict(Obligation.objects.values_list("reference", "remaining_minor"))
    assert remaining == {"INV-1": 4_000, "INV-2": 0, "INV-3": 2_050}

    log_in(page, live_server, triangle["ada"])
    page.goto(f"{live_server.url}/clearing/runs/{run.pk}/")
    page.get_by_role("link", name="My set-off notice").click()
    page.wait_for_url(f"{live_server.url}/clearing/runs/{run.pk}/notice/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Set-off notice, run {run.pk}"
    owed_to_bo = page.get_by_role("row", name=re.compile("INV-1"))
    assert owed_to_bo.get_by_role("cell").all_inner_texts()[1:] == [
        "debtor",
        "bo",
        "100.00",
        "60.00",
        "40.00",
    ]
    owed_by_carla = page.get_by_role("row", name=re.compile("INV-3"))
    assert owed_by_carla.get_by_role("cell").all_inner_texts()[1:] == [
        "creditor",
        "carla",
        "80.50",
        "60.00",
        "20.50",
    ]
