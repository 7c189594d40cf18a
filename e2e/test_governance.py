"""Given a co-op with an open proposal that two members have voted on, when a third member
votes from the poll page and a steward closes the poll, then the poll page shows the
stored result, its reason and the outcome statement; the steward adds a new version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page: Any, live_server: Any, user: Any) -> None:
    """Skip the login form: a test client's session cookie, handed to the browser."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


@pytest.fixture
def open_poll() -> dict[str, Any]:
    """Bakery co-op: ada, bo, carla (one vote each); bo voted yes and carla no."""
    from django.utils import timezone

    from solidaria.accounts.models import User
    from solidaria.governance import services
    from solidaria.governance.models import Poll

    stew = User.objects.create_user(username="stew", password="x", role=User.Role.STEWARD)
    people = {n: User.objects.create_user(username=n, password="x") for n in ("ada", "bo", "carla")}
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
    _log_in(page, live_server, open_poll["ada"])
    page.goto(f"{live_server.url}/governance/bread/")
    page.get_by_role("link", name="Open a second shop on Mill Street").click()
    page.wait_for_url(f"{live_server.url}/governance/polls/{poll.pk}/")
    assert page.get_by_role("button", name="Close the poll now").count() == 0  # not a steward
    page.get_by_role("group", name="Your vote").get_by_role("radio", name="yes").check()
    page.get_by_role("button", name="Vote").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").get_by_text("Your vote was counted.").is_visible()
    assert page.get_by_text("You have voted.").is_visible()
    assert Ballot.objects.filter(poll=poll).count() == 3

    _log_in(page, live_server, open_poll["stew"])
    page.goto(f"{live_server.url}/governance/polls/{poll.pk}/")
    page.get_by_role("button", name="Close the poll now").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").get_by_text("The poll is closed and counted.").is_visible()
    result = PollResult.objects.get(poll=poll)
    assert result.outcome == "passed"
    assert page.get_by_text(re.compile(r"^Outcome: passed$")).is_visible()
    assert page.get_by_text("3 took part").is_visible()
    counts = page.locator("main table").first.get_by_role("cell").all_inner_texts()
    assert counts[:3] == ["2", "1", "0"]  # yes, no, abstain
    reason = "yes 2 > 3/2 (1/2 of 3 votes-cast)"
    assert result.data["reason"] == reason
    assert page.locator("main > p").get_by_text(reason, exact=True).is_visible()
    first = page.get_by_role("region", name="Version 1")
    assert first.get_by_text("automatic count").is_visible()
    assert first.get_by_text(reason, exact=True).is_visible()

    page.get_by_label("outcome statement").fill("Passed. Ada looks for the lease.")
    page.get_by_role("button", name="Add a new version").click()
    page.wait_for_load_state()
    second = page.get_by_role("region", name="Version 2")
    assert second.get_by_text("Passed. Ada looks for the lease.").is_visible()
    assert page.get_by_role("button", name="Vote").count() == 0
