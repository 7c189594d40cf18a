"""Budgeting's secret ballot: receipts, ballots, audit journal and voting codes together
give no way from a ballot to its voter; a ballot changes only with the voter's own
session or code and their secret; codes are keyed hashes and guessing them is throttled."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from solidaria.budgeting import services
from solidaria.budgeting.models import Ballot, Electorate, Phase, ProjectStatus, VoterReceipt
from solidaria.budgeting.tests.test_platform_services import make_process, make_voting, voter
from solidaria.core.errors import Conflict
from solidaria.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle_left_over() -> None:
    cache.clear()


def _physical_order() -> list[str]:
    trace = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Ballot._meta.db_table} ORDER BY {trace}")
        return [str(row[0]).replace("-", "") for row in cursor.fetchall()]


def _ballot_events() -> list[dict[str, Any]]:
    return list(
        AuditEvent.objects.filter(verb__startswith="budgeting.ballot")
        .order_by("id")
        .values("verb", "at", "actor_id", "object_type", "object_id", "data", "reason")
    )


# --- nothing links a ballot to its voter ----------------------------------------------------


def test_five_known_voters_leave_no_row_that_maps_a_ballot_to_one_of_them(steward, member):
    # given five members who vote, in a known order, for different projects
    voters = [voter(f"v{i}") for i in range(5)]
    process, _ = make_voting(steward, member, costs=(10, 10, 10, 10, 10))
    for i, person in enumerate(voters):
        services.ballot_cast(actor=person, process=process, projects=[f"p{i + 1}"])
    open_ids = set(Ballot.objects.values_list("id", flat=True))
    # when voting closes
    services.phase_advance(actor=steward, process=process)
    # then each ballot has a fresh key and no tag, and rows are stored in key order
    ballots = list(Ballot.objects.order_by("id").values())
    assert open_ids.isdisjoint(b["id"] for b in ballots)
    assert [b["change_tag"] for b in ballots] == [None] * 5
    assert _physical_order() == [b["id"].hex for b in ballots]
    assert sorted(b["projects"][0] for b in ballots) == ["p1", "p2", "p3", "p4", "p5"]
    # and a receipt names a voter and nothing else
    receipts = list(VoterReceipt.objects.values())
    assert {frozenset(r) for r in receipts} == {
        frozenset({"id", "process_id", "voter_id", "code_id"})
    }
    # and the journal holds five identical events: no actor, no ballot, the day only
    events = _ballot_events()
    assert len(events) == 5 and all(e == events[0] for e in events)
    assert events[0]["verb"] == "budgeting.ballot.cast"
    assert events[0]["actor_id"] is None
    assert (events[0]["object_type"], events[0]["object_id"]) == (
        "budgeting.process",
        str(process.pk),
    )
    at = events[0]["at"]
    assert (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)
    journal = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert not any(str(b["id"]) in journal or b["id"].hex in journal for b in ballots)
    assert not any(f'"{p.username}"' in journal for p in voters)


def test_a_change_is_journalled_exactly_like_a_first_vote(steward, member):
    # given a member who voted
    process, _ = make_voting(steward, member)
    first = services.ballot_cast(actor=member, process=process, projects=["p1"])
    # when they change their ballot
    services.ballot_cast(actor=member, process=process, projects=["p2"], secret=first.secret)
    # then the two events cannot be told apart
    events = _ballot_events()
    assert len(events) == 2 and events[0] == events[1]


# --- changing a ballot needs the voter's own session or code --------------------------------


def test_another_member_cannot_change_a_ballot_with_its_secret(steward, member, other_member):
    # given ada and bo voted, and ada's secret leaked to bo
    process, _ = make_voting(steward, member)
    ada = services.ballot_cast(actor=member, process=process, projects=["p1"])
    services.ballot_cast(actor=other_member, process=process, projects=["p2"])
    # when bo presents ada's secret, then he is refused and ada's ballot stays
    with pytest.raises(Conflict) as exc:
        services.ballot_cast(
            actor=other_member, process=process, projects=["p3"], secret=ada.secret
        )
    assert exc.value.field == "secret"
    assert sorted(Ballot.objects.values_list("projects", flat=True)) == [["p1"], ["p2"]]
    # and ada herself still can
    services.ballot_cast(actor=member, process=process, projects=["p3"], secret=ada.secret)
    assert sorted(Ballot.objects.values_list("projects", flat=True)) == [["p2"], ["p3"]]


def test_a_secret_works_only_together_with_its_own_code(steward, member):
    # given two residents who voted with their codes
    process, _ = make_voting(steward, member, electorate=Electorate.CODES)
    one, two = services.codes_generate(actor=steward, process=process, count=2)
    anyone = AnonymousUser()
    first = services.ballot_cast(actor=anyone, process=process, projects=["p1"], code=one)
    services.ballot_cast(actor=anyone, process=process, projects=["p2"], code=two)
    # when the second code is sent with the first code's secret, then it is refused
    with pytest.raises(Conflict):
        services.ballot_cast(
            actor=anyone, process=process, projects=["p3"], code=two, secret=first.secret
        )
    assert sorted(Ballot.objects.values_list("projects", flat=True)) == [["p1"], ["p2"]]


# --- voting codes ------------------------------------------------------------------------


def test_voting_codes_are_stored_as_a_keyed_hash(steward, member, settings):
    # given codes drawn under one server key
    process, _ = make_voting(steward, member, electorate=Electorate.CODES)
    settings.SOLIDARIA_VOTING_CODE_KEY = "key-one"
    (code,) = services.codes_generate(actor=steward, process=process, count=1)
    normal = code.replace("-", "")
    # then neither the code nor its bare SHA-256 is stored
    stored = process.codes.get().code_hash
    assert stored not in (normal, hashlib.sha256(normal.encode()).hexdigest())
    # and without the key the code is not recognised
    settings.SOLIDARIA_VOTING_CODE_KEY = "another-key"
    assert services.find_code(process, code) is None
    settings.SOLIDARIA_VOTING_CODE_KEY = "key-one"
    assert services.find_code(process, code) == process.codes.get()


def test_a_code_stored_as_a_bare_sha256_still_votes_and_is_rehashed(steward, member):
    # given a code stored the old way
    process, _ = make_voting(steward, member, electorate=Electorate.CODES)
    (code,) = services.codes_generate(actor=steward, process=process, count=1)
    process.codes.update(code_hash=services.legacy_hash_code(code))
    # when the resident votes with it
    services.ballot_cast(actor=AnonymousUser(), process=process, projects=["p1"], code=code)
    # then the vote counts and the stored hash is now the keyed one
    assert Ballot.objects.count() == 1
    assert process.codes.get().code_hash == services.hash_code(code)


def test_wrong_codes_from_one_address_are_throttled_in_the_api(steward, member, settings):
    # given a coded process and a limit of 3 wrong codes per address
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "voting_code": (3, 900)}
    process, _ = make_voting(steward, member, electorate=Electorate.CODES)
    (good,) = services.codes_generate(actor=steward, process=process, count=1)
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    url = f"/api/budgeting/processes/{process.slug}/ballot"

    def post(client: Client, code: str) -> Any:
        body = json.dumps({"projects": ["p1"], "code": code})
        return client.post(url, body, content_type="application/json")

    # when it sends three wrong codes
    assert [post(guesser, f"WRONG-{i}").status_code for i in range(3)] == [403, 403, 403]
    # then even the right code is refused from that address, with a reason and a wait
    locked = post(guesser, good)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("Too many failed attempts.")
    assert int(locked["Retry-After"]) > 0
    assert Ballot.objects.count() == 0
    # and another address is not affected
    assert post(Client(REMOTE_ADDR="198.51.100.7"), good).status_code == 200


def test_wrong_codes_from_one_address_are_throttled_on_the_page(steward, member, settings):
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "voting_code": (2, 900)}
    process, projects = make_voting(steward, member, electorate=Electorate.CODES)
    (good,) = services.codes_generate(actor=steward, process=process, count=1)
    browser = Client(REMOTE_ADDR="203.0.113.9")
    url = reverse("budgeting:vote", args=[process.slug])
    form = {"project": [str(projects[0].pk)]}
    # a wrong code is a refused credential: 403 with the reason on the ballot page
    assert [browser.post(url, {**form, "code": c}).status_code for c in ("AAAA", "BBBB")] == [
        403,
        403,
    ]
    page = browser.post(url, {**form, "code": good})
    assert page.status_code == 429
    assert "Too many failed attempts." in page.content.decode()
    assert Ballot.objects.count() == 0


# --- withdrawing ----------------------------------------------------------------------------


def test_a_project_cannot_be_withdrawn_once_voting_opened(steward, member):
    # given a process in voting
    process, projects = make_voting(steward, member)
    # when the proposer or a steward withdraws a project, then both are refused
    for who in (member, steward):
        with pytest.raises(Conflict, match="cannot be withdrawn once voting has opened"):
            services.project_withdraw(actor=who, project=projects[0])
    # and nothing changed, also after voting
    services.phase_advance(actor=steward, process=process)
    with pytest.raises(Conflict, match="cannot be withdrawn once voting has opened"):
        services.project_withdraw(actor=steward, project=projects[0])
    assert process.projects.filter(status=ProjectStatus.WITHDRAWN).count() == 0


def test_a_project_may_be_withdrawn_before_voting(steward, member):
    process = make_process(steward)
    project = services.project_submit(actor=member, process=process, title="Bench", cost_minor=5)
    process = services.phase_advance(actor=steward, process=process)
    assert process.phase == Phase.REVIEW
    services.project_withdraw(actor=member, project=project)
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN
