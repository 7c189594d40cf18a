"""Given a co-op with an open proposal that two members have voted on, when a third member
votes from the poll page and a steward closes the poll, then the poll page shows the
stored result, its reason and the outcome statement; the steward adds a new version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_poll() -> dict[str, Any]:
    """Bakery co-op: ada, bo, carla (one vote each); bo voted yes and carla no."""
    from django.utils import timezone

    from solidaria.accounts.factories import make_member
    from solidaria.accounts.models import User
    from solidaria.governance import services
    from solidaria.governance.models import Poll

    stew = make_member(username="stew", password="x", role=User.Role.STEWARD)
    people = {n: make_member(username=n, password="x") for n in ("ada", "bo", "carla")}
    coop = services.coop_create(
        actor=stew, name="Bread & Roses Bakery", slug="bread", classes=[("workers", 1)]
    )
    workers = coop.classes.get(name="workers")
    for user in people.values():
        services.membership_add(actor=stew, coop=coop, user=user, member_class=workers)
    poll = services.poll_create(
        actor=stew,
        coop=coop,
        kind=Poll.Kind.PROPOSAL,
        title="Open a second shop on Mill Street",
        body="Rent 900 a month; two more bakers from September.",
        closes_at=timezone.now() + dt.timedelta(days=7),
        settings={"quorum": "1/2", "threshold": "1/2", "comparison": ">", "tie_rule": "fails"},
    )
    services.vote_cast(actor=people["bo"], poll=poll, choice={"vote": "yes"})
    services.vote_cast(actor=people["carla"], poll=poll, choice={"vote": "no"})
    return {"stew": stew, "poll": poll, **people}


def test_member_votes_steward_closes_and_the_page_shows_the_outcome(  # type: ignore[no-untyped-def]
    page, live_server, open_poll
):
    from solidaria.governance.models import Ballot, PollResult

    poll = open_poll["poll"]
    log_in(page, live_server, open_poll["ada"])
    page.goto(f"{live_server.url}/governance/bread/")
    page.get_by_role("link", name="Open a second shop on Mill Street").click()
    page.wait_for_url(f"{live_server.url}/governance/polls/{poll.pk}/")
    assert page.get_by_role("button", name="Close the poll now").count() == 0  # not a steward
    page.get_by_role("group", name="Your vote").get_by_role("radio", name="yes").check()
    page.get_by_role("button", name="Vote").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").get_by_text("Your vote was counted.")).to_be_visible()
    expect(page.get_by_text("You have voted.")).to_be_visible()
    assert Ballot.objects.filter(poll=poll).count() == 3

    log_in(page, live_server, open_poll["stew"])
    page.goto(f"{live_server.url}/governance/polls/{poll.pk}/")
    page.get_by_role("button", name="Close the poll now").click()
    page.wait_for_load_state()
    expect(
        page.get_by_role("status").get_by_text("The poll is closed and counted.")
    ).to_be_visible()
    result = PollResult.objects.get(poll=poll)
    assert result.outcome == "passed"
    expect(page.get_by_text(re.compile(r"^Outcome: passed$"))).to_be_visible()
    expect(page.get_by_text("3 took part")).to_be_visible()
    counts = page.locator("main table").first.get_by_role("cell").all_inner_texts()
    assert counts[:3] == ["2", "1", "0"]  # yes, no, abstain
    reason = "yes 2 > 3/2 (1/2 of 3 votes-cast)"
    assert result.data["reason"] == reason  # the engine's words, shown only under details
    said = "Passed: 2 yes, more than 1.5 votes (half of the yes and no votes)."
    expect(page.locator("main > p").get_by_text(said, exact=True)).to_be_visible()
    first = page.get_by_role("region", name="Version 1")
    expect(first.get_by_text("automatic count")).to_be_visible()
    expect(first.get_by_text(said, exact=True)).to_be_visible()

    page.get_by_label("outcome statement").fill("Passed. Ada looks for the lease.")
    page.get_by_role("button", name="Add a new version").click()
    page.wait_for_load_state()
    second = page.get_by_role("region", name="Version 2")
    expect(second.get_by_text("Passed. Ada looks for the lease.")).to_be_visible()
    assert page.get_by_role("button", name="Vote").count() == 0
