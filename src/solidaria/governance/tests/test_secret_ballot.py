"""Secret ballots are secret: with every row of the ballot, participation and audit tables
and every page and API answer in hand, no ballot can be linked to its voter."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import Conflict
from solidaria.core.models import AuditEvent
from solidaria.governance import queries, services
from solidaria.governance.models import Ballot, Participation, Poll
from solidaria.governance.services import polls as poll_services
from solidaria.governance.tests.test_platform_factories import (
    World,
    in_a_week,
    make_world,
    snapshot,
)

SEED = 7


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    return make_world(member, other_member, steward)


@pytest.fixture
def five(world: World) -> list[User]:
    """ada (worker, weight 2), bo (consumer, weight 1) and three more consumers."""
    voters = [world.worker.user, world.consumer.user]
    for name in ("cy", "dee", "eve"):
        user = make_member(username=name, email=f"{name}@example.org", password="pw")
        services.membership_add(
            actor=world.steward, coop=world.coop, user=user, member_class=world.consumers
        )
        voters.append(user)
    return voters


def _score_poll(w: World, **kwargs: Any) -> Poll:
    return services.poll_create(
        actor=w.steward,
        coop=w.coop,
        kind=Poll.Kind.SCORE,
        title="Which bread first?",
        options=["rye", "spelt"],
        settings={"minimum": 0, "maximum": 5},
        closes_at=in_a_week(),
        is_anonymous=True,
        **kwargs,
    )


def _vote_in_order(poll: Poll, voters: list[User]) -> None:
    """The i-th voter gives rye i points: each ballot's content names its voter."""
    for i, user in enumerate(voters):
        services.vote_cast(actor=user, poll=poll, choice={"scores": {"rye": i, "spelt": 5}})


def _rye(ballot: Ballot) -> int:
    return int(ballot.choice["scores"]["rye"])


def _physical_order(poll: Poll) -> list[str]:
    """Ballot keys in the order the database stores the rows."""
    table = Ballot._meta.db_table
    trace = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE poll_id = %s ORDER BY {trace}", [poll.pk])
        return [str(row[0]).replace("-", "") for row in cursor.fetchall()]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _without_csrf(html: str) -> str:
    """The page without its CSRF tokens, which are masked afresh on every response."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "<token>", html)


# --- what is stored ------------------------------------------------------------------------


@pytest.mark.django_db
def test_closing_rekeys_the_ballots_so_no_order_follows_the_voting_order(
    world: World, five: list[User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an anonymous poll where five known voters voted in a known order
    monkeypatch.setattr(poll_services, "_rng", random.Random(SEED))
    poll = _score_poll(world)
    _vote_in_order(poll, five)
    keys_while_open = set(Ballot.objects.filter(poll=poll).values_list("id", flat=True))
    # when it closes
    services.poll_close(actor=world.steward, poll=poll)
    # then every ballot has a fresh key, and neither key order nor storage order is the
    # voting order (for this seed the voters come out as 1, 2, 3, 0, 4)
    ballots = list(Ballot.objects.filter(poll=poll).order_by("id"))
    assert keys_while_open.isdisjoint(b.id for b in ballots)
    assert [_rye(b) for b in ballots] == [1, 2, 3, 0, 4]
    assert _physical_order(poll) == [b.id.hex for b in ballots]
    # and the count is that of the five ballots
    assert poll.result.data["turnout"] == 5


@pytest.mark.django_db
def test_no_stored_row_links_a_ballot_to_its_voter(world: World, five: list[User]) -> None:
    # given five known voters in an anonymous poll, closed
    poll = _score_poll(world)
    _vote_in_order(poll, five)
    services.poll_close(actor=world.steward, poll=poll)
    # then a ballot row holds the poll, a random key, the class weight and the choice only
    rows = list(Ballot.objects.filter(poll=poll).values())
    assert {frozenset(r) for r in rows} == {frozenset({"id", "poll_id", "weight", "choice"})}
    assert Counter(r["weight"] for r in rows) == {2: 1, 1: 4}  # one worker, four consumers
    assert {world.workers.vote_weight, world.consumers.vote_weight} == {2, 1}
    # and a participation row holds who, never what, and nothing shared with a ballot
    parts = list(Participation.objects.filter(poll=poll).values())
    assert {frozenset(p) for p in parts} == {frozenset({"id", "poll_id", "user_id", "choice"})}
    assert [p["choice"] for p in parts] == [None] * 5
    # and the journal has five identical ballot events: no actor, the day only, the poll
    events = list(
        AuditEvent.objects.filter(verb="governance.ballot.cast").values(
            "at", "actor_id", "object_type", "object_id", "data", "reason"
        )
    )
    assert len(events) == 5 and all(e == events[0] for e in events)
    assert events[0]["actor_id"] is None
    assert events[0]["object_type"] == "governance.poll"
    assert events[0]["object_id"] == str(poll.pk)
    at = events[0]["at"]
    assert (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)
    # and no audit event anywhere names a ballot
    journal = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert not any(r["id"].hex in journal or str(r["id"]) in journal for r in rows)


@pytest.mark.django_db
@pytest.mark.postgres
def test_closing_gives_every_ballot_one_transaction_id(world: World, five: list[User]) -> None:
    # given five ballots, each written by its own (sub)transaction while the poll was open
    poll = _score_poll(world)
    _vote_in_order(poll, five)
    table = Ballot._meta.db_table
    query = f"SELECT DISTINCT xmin::text FROM {table} WHERE poll_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(query, [poll.pk])
        assert len(cursor.fetchall()) == 5  # the trace sealing has to remove
        # when the poll closes
        services.poll_close(actor=world.steward, poll=poll)
        # then all of them carry the same one
        cursor.execute(query, [poll.pk])
        assert len(cursor.fetchall()) == 1


@pytest.mark.django_db
def test_sealing_an_open_poll_keeps_no_ballot_from_before(world: World, five: list[User]) -> None:
    # given an open (not secret) poll: its ballots are not sealed, votes are public anyway
    poll = _score_poll(world)
    Poll.objects.filter(pk=poll.pk).update(is_anonymous=False)
    _vote_in_order(poll, five[:2])
    keys = set(Ballot.objects.filter(poll=poll).values_list("id", flat=True))
    services.poll_close(actor=world.steward, poll=poll)
    assert set(Ballot.objects.filter(poll=poll).values_list("id", flat=True)) == keys


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scores=st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=12),
    seed=st.integers(min_value=0, max_value=2**32),
)
@pytest.mark.django_db
def test_sealing_keeps_every_ballot_and_the_count(
    world: World, scores: list[int], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction.atomic():  # each example starts from the same world
        # given any ballots in a poll and any seed
        monkeypatch.setattr(poll_services, "_rng", random.Random(seed))
        poll = Poll.objects.get(pk=_score_poll(world).pk)
        weights = [1 + i % 2 for i in range(len(scores))]
        for s, w in zip(scores, weights, strict=True):
            Ballot.objects.create(poll=poll, weight=w, choice={"scores": {"rye": s}})
        before = Counter((b.weight, _rye(b)) for b in Ballot.objects.filter(poll=poll))
        tally = queries.tally(poll)
        # when the ballots are sealed
        sealed = poll_services._seal_ballots(poll)
        # then the same ballots (weight and choice) are there, and they count the same
        after = Counter((b.weight, _rye(b)) for b in Ballot.objects.filter(poll=poll))
        assert (sealed, after) == (len(scores), before)
        assert queries.tally(poll) == tally
        transaction.set_rollback(True)


# --- changing a vote ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_secret_ballot_cannot_be_changed(world: World) -> None:
    # given a member who voted in a secret poll
    poll = _score_poll(world)
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"scores": {"rye": 1}})
    before = snapshot()
    # when they vote again, then they are told a secret ballot cannot be changed
    with pytest.raises(Conflict, match="a secret ballot cannot be changed"):
        services.vote_cast(actor=world.worker.user, poll=poll, choice={"scores": {"rye": 5}})
    # and nothing changed
    assert snapshot() == before


# --- what is shown ------------------------------------------------------------------------


@pytest.mark.django_db
def test_open_secret_poll_page_is_the_same_before_and_after_a_vote(
    world: World, five: list[User]
) -> None:
    # given an open secret poll with results not otherwise hidden, one vote cast
    poll = _score_poll(world)
    url = reverse("governance:poll", args=[poll.pk])
    services.vote_cast(actor=five[2], poll=poll, choice={"scores": {"rye": 3}})
    watchers = {"member": _client(five[4]), "steward": _client(world.steward)}
    before = {k: _without_csrf(c.get(url).content.decode()) for k, c in watchers.items()}
    # when another member votes
    services.vote_cast(actor=five[3], poll=poll, choice={"scores": {"rye": 0}})
    # then what a member and a steward see has not changed at all
    for who, client in watchers.items():
        assert _without_csrf(client.get(url).content.decode()) == before[who], who
    page = before["member"]
    assert "the results are shown once the poll closes" in page
    assert "who took part, and how many, is shown once the poll closes" in page
    assert "Running count" not in page
    assert all(f"<li>{u.username}" not in page for u in five)
    # and the voter sees that they voted, nothing more
    own = _client(five[3]).get(url).content.decode()
    assert "You have voted." in own and f"<li>{five[2].username}" not in own


@pytest.mark.django_db
def test_closed_secret_poll_page_shows_turnout_and_who_took_part(
    world: World, five: list[User]
) -> None:
    # given a secret poll five members voted in, closed
    poll = _score_poll(world)
    _vote_in_order(poll, five)
    services.poll_close(actor=world.steward, poll=poll)
    # when a member reads it, then the turnout and the participants are listed
    page = _client(five[0]).get(reverse("governance:poll", args=[poll.pk])).content.decode()
    assert "5 took part" in page
    assert all(f"<li>{u.username}</li>" in page for u in five)


@pytest.mark.django_db
def test_open_ballot_still_shows_who_voted_what(world: World) -> None:
    # given an open (not secret) proposal the worker voted yes in
    poll = services.poll_create(
        actor=world.steward,
        coop=world.coop,
        kind=Poll.Kind.PROPOSAL,
        title="Paint the door",
        closes_at=in_a_week(),
    )
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    # then the page shows the running count and the named vote
    page = _client(world.consumer.user).get(reverse("governance:poll", args=[poll.pk]))
    html = page.content.decode()
    assert "Running count" in html and f"{world.worker.user.username}: " in html


def _api(client: Client, path: str) -> Any:
    return client.get(f"/api/governance{path}")


@pytest.mark.django_db
def test_api_shows_no_count_or_turnout_of_an_open_secret_poll(
    world: World, five: list[User]
) -> None:
    # given an open secret poll two members voted in
    poll = _score_poll(world)
    _vote_in_order(poll, five[:2])
    voter, other, steward = _client(five[0]), _client(five[3]), _client(world.steward)
    # then nobody gets a count or a turnout; a voter learns only that they voted
    for client, has_voted in ((voter, True), (other, False), (steward, False)):
        one = _api(client, f"/polls/{poll.pk}").json()
        assert (one["turnout"], one["has_voted"]) == (None, has_voted)
        listed = _api(client, f"/coops/{world.coop.slug}/polls").json()
        assert [p["turnout"] for p in listed if p["id"] == poll.pk] == [None]
        results = _api(client, f"/polls/{poll.pk}/results")
        assert results.status_code == 403
        assert results.json()["detail"] == (
            "the results of a secret ballot are shown once it closes"
        )
    # when it closes, then the turnout and the result are there
    services.poll_close(actor=world.steward, poll=poll)
    assert _api(other, f"/polls/{poll.pk}").json()["turnout"] == 2
    final = _api(other, f"/polls/{poll.pk}/results").json()
    assert final["is_final"] and final["data"]["turnout"] == 2
