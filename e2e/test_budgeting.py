"""Participatory budgeting in the browser (issue 5).

Given a steward and three members, when the steward creates a process, the members
propose projects, the steward reviews them and opens the vote, the members vote on an
approval ballot, and the steward closes voting, counts and publishes, then the results
page shows the funded projects and why each project was funded or not.

Given a real Pabulib file (Assen 2024), when a steward imports it, counts and publishes,
then the funded projects are the ones the city funded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in
from solidaria.accounts.factories import make_member
from solidaria.core.paths import bundled_data_dir

pytestmark = pytest.mark.django_db(transaction=True)

ASSEN = bundled_data_dir() / "pabulib" / "Netherlands_Assen_2024.pb"


@pytest.fixture
def people() -> dict[str, Any]:
    from solidaria.accounts.models import User

    stew = make_member(username="stew", password="x", role=User.Role.STEWARD)
    members = {n: make_member(username=n, password="x") for n in ("ada", "bo", "carla")}
    return {"stew": stew, **members}


def _advance(page: Any) -> None:
    page.get_by_role("button", name="Close this phase and open the next").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_have_text("The process moved to its next phase.")


def _current_phase(page: Any) -> str:
    return page.locator("ol.phases li[aria-current=step] strong").inner_text()


def _propose(page: Any, base: str, title: str, cost: str, category: str) -> None:
    page.goto(f"{base}/budgeting/neighbourhood-fund/")
    page.get_by_role("link", name="Propose a project").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Estimated cost").fill(cost)
    page.get_by_label("Category").fill(category)
    page.get_by_role("button", name="Submit the proposal").click()
    page.wait_for_url(f"{base}/budgeting/neighbourhood-fund/")
    expect(page.get_by_role("status").get_by_text("your proposal was submitted")).to_be_visible()


def _vote(page: Any, base: str, titles: list[str]) -> None:
    page.goto(f"{base}/budgeting/neighbourhood-fund/")
    page.get_by_role("link", name="Vote", exact=True).click()
    ballot = page.get_by_role("group", name="Projects")
    for title in titles:
        ballot.get_by_role("checkbox", name=title).check()
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for voting"


def test_steward_runs_a_whole_process_and_publishes_the_result(page, live_server, people):  # type: ignore[no-untyped-def]
    from solidaria.budgeting.models import Ballot, Process, Result

    base = live_server.url
    log_in(page, live_server, people["stew"])
    page.goto(f"{base}/budgeting/")
    page.get_by_role("link", name="Start a new process").click()
    page.get_by_label("Title").fill("Neighbourhood fund")
    page.get_by_label("Short name (optional)").fill("neighbourhood-fund")
    page.get_by_label("Budget").fill("5000")
    page.get_by_label("Who votes").select_option(label="members of the network")
    page.get_by_label("Ballot type").select_option(label="approval")
    page.get_by_label("Maximum projects").fill("2")
    page.get_by_label("Counting rule").select_option(label="greedy by votes")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{base}/budgeting/neighbourhood-fund/")
    assert _current_phase(page) == "Proposal submission"

    for who, title, cost, category in [
        ("ada", "Community fridge", "1800", "food"),
        ("bo", "Bike lane paint", "4000", "mobility"),
        ("carla", "Tree planting", "2500", "nature"),
    ]:
        log_in(page, live_server, people[who])
        _propose(page, base, title, cost, category)

    log_in(page, live_server, people["stew"])
    page.goto(f"{base}/budgeting/neighbourhood-fund/")
    _advance(page)
    assert _current_phase(page) == "Review"
    for title in ("Community fridge", "Bike lane paint", "Tree planting"):
        page.get_by_role("row", name=re.compile(title)).get_by_role("link", name="Review").click()
        page.get_by_label("Decision").select_option(label="feasible")
        page.get_by_role("button", name="Save the review").click()
        page.wait_for_url(f"{base}/budgeting/neighbourhood-fund/")
    _advance(page)
    assert _current_phase(page) == "Voting"

    log_in(page, live_server, people["ada"])
    page.goto(f"{base}/budgeting/neighbourhood-fund/vote/")
    expect(
        page.get_by_role("listitem").filter(has_text="Choose at most 2 projects.")
    ).to_be_visible()
    ballot = page.get_by_role("group", name="Projects")
    for title in ("Community fridge", "Bike lane paint", "Tree planting"):
        ballot.get_by_role("checkbox", name=title).check()
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_be_visible()  # three projects: refused, none stored
    assert Ballot.objects.count() == 0
    _vote(page, base, ["Community fridge", "Bike lane paint"])
    log_in(page, live_server, people["bo"])
    _vote(page, base, ["Community fridge", "Tree planting"])
    log_in(page, live_server, people["carla"])
    _vote(page, base, ["Bike lane paint", "Community fridge"])
    assert Ballot.objects.count() == 3

    log_in(page, live_server, people["stew"])
    page.goto(f"{base}/budgeting/neighbourhood-fund/")
    expect(page.get_by_text("3 voters have voted; 3 ballots are stored.")).to_be_visible()
    _advance(page)
    assert _current_phase(page) == "Results"
    page.get_by_role("button", name="Count the ballots").click()
    page.wait_for_url(f"{base}/budgeting/neighbourhood-fund/results/")
    page.get_by_role("button", name="Publish this result").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").get_by_text("The result is published.")).to_be_visible()
    assert Result.objects.get(process=Process.objects.get()).published_at is not None

    # A member (a members' process is hidden from visitors) reads the published result.
    log_in(page, live_server, people["carla"])
    page.goto(f"{base}/budgeting/neighbourhood-fund/results/")
    expect(page.get_by_role("heading", name="2 funded projects")).to_be_visible()
    funded = page.locator("ul.funded li").all_inner_texts()
    assert funded == ["Community fridge — 1800 EUR", "Tree planting — 2500 EUR"]
    why = {}  # project title -> cost, support, funded, why
    for row in page.locator("table.results tbody").get_by_role("row").all():
        title = row.get_by_role("rowheader").inner_text().split(" (")[0]
        why[title] = row.get_by_role("cell").all_inner_texts()
    assert why["Community fridge"][:3] == ["1800 EUR", "3", "yes"]
    assert why["Bike lane paint"][:3] == ["4000 EUR", "2", "no"]
    assert why["Tree planting"][:3] == ["2500 EUR", "1", "yes"]
    assert why["Community fridge"][3].startswith("Funded: ranked 1 by support")
    assert why["Bike lane paint"][3].startswith(
        "Not funded: when its turn came (rank 2) it no longer fit the budget."
    )
    assert why["Tree planting"][3].startswith("Funded: ranked 3 by support")


def _official_funded(path: Path) -> list[str]:
    """The `name` of every project the city marked `selected` in the file's PROJECTS."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    start = lines.index("PROJECTS") + 1
    end = lines.index("VOTES")
    header = lines[start].split(";")
    rows = [dict(zip(header, line.split(";"), strict=False)) for line in lines[start + 1 : end]]
    return sorted(r["name"] for r in rows if r["selected"] == "1")


def test_steward_imports_a_pabulib_file_counts_and_publishes(page, live_server, people):  # type: ignore[no-untyped-def]
    base = live_server.url
    log_in(page, live_server, people["stew"])
    page.goto(f"{base}/budgeting/")
    page.get_by_role("link", name="Import a Pabulib file").click()
    page.get_by_label("Pabulib file (.pb)").set_input_files(str(ASSEN))
    page.get_by_label("Title (optional)").fill("Assen Top Idee 2024")
    page.get_by_label("Short name (optional)").fill("assen-2024")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(f"{base}/budgeting/assen-2024/")
    expect(page.get_by_role("status").get_by_text("The process was imported.")).to_be_visible()
    expect(page.get_by_text("0 voters have voted; 84 ballots are stored.")).to_be_visible()

    page.get_by_role("button", name="Count the ballots").click()
    page.wait_for_url(f"{base}/budgeting/assen-2024/results/")
    page.get_by_role("button", name="Publish this result").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").get_by_text("The result is published.")).to_be_visible()

    official = _official_funded(ASSEN)
    assert len(official) == 9
    heading = page.get_by_role("heading", name=re.compile(r"funded projects$"))
    assert heading.inner_text() == f"{len(official)} funded projects"
    funded = [t.split(" — ")[0] for t in page.locator("ul.funded li").all_inner_texts()]
    assert sorted(funded) == official
    rows = page.locator("table.results tbody").get_by_role("row")
    assert rows.count() == 14
    for row in rows.all():
        cells = row.get_by_role("cell").all_inner_texts()
        assert cells[2] in ("yes", "no")
        assert cells[3].startswith("Funded" if cells[2] == "yes" else "Not funded"), cells
