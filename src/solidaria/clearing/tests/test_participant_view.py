"""Each participant sees their own position and the cycles they are in; members they have
no obligation with in the run are "a member"; stewards see every name. Pages and API."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation, RunResponse
from solidaria.ledger import services as ledger
from solidaria.ledger.models import CreditPolicy, Currency

pytestmark = pytest.mark.django_db


@pytest.fixture
def square(steward: User) -> dict[str, object]:
    """ada→bo→carla→dan→ada, 50.00 each: ada is linked to bo and dan, not to carla."""
    people = {n: make_member(n) for n in ("ada", "bo", "carla", "dan", "zoe")}
    sol = ledger.currency_create(
        actor=steward,
        code="SOL",
        name="Sol",
        default_credit_limit=50_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    for user in people.values():
        ledger.account_open(actor=user, currency=sol)
    services.obligations_import(
        actor=steward,
        currency=sol,
        text="debtor,creditor,amount,reference\n"
        "ada,bo,50,A\nbo,carla,50,B\ncarla,dan,50,C\ndan,ada,70,D\n",
        confirm_both=True,
    )
    run = services.run_start(actor=steward, currency=sol)
    services.run_propose(
        actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=2), reason="April"
    )
    return {"run": ClearingRun.objects.get(pk=run.pk), "sol": sol, **people}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_member_sees_their_position_and_their_cycle_with_unlinked_members_hidden(
    square: dict[str, object],
) -> None:
    run = square["run"]
    ada = square["ada"]
    page = _client(ada).get(f"/clearing/runs/{run.pk}/")  # type: ignore[attr-defined]
    text = _text(page.content.decode())
    assert "Your part in this run" in text
    assert "You owe 50.00 50.00 0.00" in text
    assert "You are owed 70.00 50.00 20.00" in text
    assert "you → bo → a member → dan → you: 50.00 SOL" in text
    assert "carla" not in text
    assert "Debt per member" not in text  # the stewards' table of everyone
    assert "Do you accept the set-off of your obligations above?" in text


def test_a_steward_sees_every_name(square: dict[str, object], steward: User) -> None:
    run = square["run"]
    text = _text(_client(steward).get(f"/clearing/runs/{run.pk}/").content.decode())  # type: ignore[attr-defined]
    assert "ada → bo → carla → dan → ada: 50.00 SOL" in text
    assert "Debt per member" in text
    assert "Of the members it touches (4): accepted 0, objected 0, not answered yet 4." in text


def test_the_api_gives_a_member_their_part_and_hides_unlinked_names(
    square: dict[str, object], steward: User
) -> None:
    run = square["run"]
    body = _client(square["ada"]).get(f"/api/clearing/runs/{run.pk}").json()  # type: ignore[arg-type, attr-defined]
    assert body["cycles"] == [{"members": ["ada", "bo", None, "dan"], "amount": 5000}]
    assert body["my_position"] == {
        "owes_before": 5000,
        "owes_setoff": 5000,
        "owes_after": 0,
        "owed_before": 7000,
        "owed_setoff": 5000,
        "owed_after": 2000,
    }
    assert (body["status"], body["acceptance_rule"], body["my_answer"]) == (
        "proposed",
        "no_objection",
        None,
    )
    assert body["answers"] == {"touched": 4, "accepted": 0, "objected": 0}
    steward_view = _client(steward).get(f"/api/clearing/runs/{run.pk}").json()  # type: ignore[attr-defined]
    assert steward_view["cycles"] == [{"members": ["ada", "bo", "carla", "dan"], "amount": 5000}]
    assert steward_view["my_position"] is None


def test_answering_on_the_page_and_by_the_api_applies_the_run(
    square: dict[str, object],
) -> None:
    run = square["run"]
    pk = run.pk  # type: ignore[attr-defined]
    for name in ("ada", "bo", "carla"):
        response = _client(square[name]).post(  # type: ignore[arg-type]
            f"/clearing/runs/{pk}/respond/", {"answer": "accept"}, follow=True
        )
        assert "Accepted. Thank you." in response.content.decode()
    refused = _client(square["zoe"]).post(  # type: ignore[arg-type]
        f"/api/clearing/runs/{pk}/answer", {"answer": "accept"}, content_type="application/json"
    )
    assert refused.status_code == 404  # zoe is in no obligation of the run
    body = _client(square["dan"]).post(  # type: ignore[arg-type]
        f"/api/clearing/runs/{pk}/answer", {"answer": "accept"}, content_type="application/json"
    )
    assert body.status_code == 200
    assert (body.json()["status"], body.json()["my_answer"]) == ("accepted", "accept")
    page = _client(square["ada"]).get(f"/clearing/runs/{pk}/").content.decode()  # type: ignore[arg-type]
    assert "Applied: every member it touches accepted." in _text(page)


def test_an_objection_on_the_page_leads_to_the_recomputed_run(
    square: dict[str, object], django_capture_on_commit_callbacks: object
) -> None:
    pk = square["run"].pk  # type: ignore[attr-defined]
    client = _client(square["bo"])  # type: ignore[arg-type]
    missing = client.post(f"/clearing/runs/{pk}/respond/", {"answer": "object"}, follow=True)
    assert "say why you object" in missing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            f"/clearing/runs/{pk}/respond/",
            {"answer": "object", "reason": "B is wrong"},
            follow=True,
        )
    text = _text(response.content.decode())
    assert "Objection recorded" in text
    successor = ClearingRun.objects.get(previous_id=pk)
    assert f"Replaced by run {successor.pk}" in text
    assert successor.obligation_count == 2  # carla→dan and dan→ada remain; no cycle
    assert RunResponse.objects.get().reason == "B is wrong"


def test_settling_from_the_clearing_page(square: dict[str, object], steward: User) -> None:
    run = square["run"]
    ClearingRun.objects.filter(pk=run.pk).update(  # type: ignore[attr-defined]
        deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    services.runs_apply_due()
    ob = Obligation.objects.get(reference="D")
    assert ob.remaining_minor == 2_000
    dan = _client(square["dan"])  # type: ignore[arg-type]
    home = _text(dan.get("/clearing/").content.decode())
    assert f"Obligation {ob.pk} to ada: 20.00 SOL left" in home
    key = uuid.uuid4().hex
    data = {
        f"settle-{ob.pk}-currency": square["sol"].pk,  # type: ignore[attr-defined]
        f"settle-{ob.pk}-amount": "15.00",
        f"settle-{ob.pk}-idempotency_key": key,
    }
    paid = dan.post(f"/clearing/obligations/{ob.pk}/settle/", data, follow=True)
    assert "Paid 15.00 SOL on the ledger; 5.00 is left to pay." in paid.content.decode()
    dan.post(f"/clearing/obligations/{ob.pk}/settle/", data)  # a double click
    ob.refresh_from_db()
    assert ob.remaining_minor == 500
    # the same by the API, with the Idempotency-Key header
    api = dan.post(
        f"/api/clearing/obligations/{ob.pk}/settlements",
        {"amount_minor": 500},
        content_type="application/json",
        headers={"Idempotency-Key": "api-1"},
    )
    assert api.status_code == 201
    assert (api.json()["remaining_minor"], api.json()["obligation_status"]) == (0, "settled")
    # the steward's part: choosing the currency for an applied run's rest
    page = _client(steward).post(
        f"/clearing/runs/{run.pk}/settle-in/",  # type: ignore[attr-defined]
        {"currency": square["sol"].pk},  # type: ignore[attr-defined]
        follow=True,
    )
    assert "The rest of 0 obligations is now paid in SOL." in page.content.decode()


def test_dispute_resolution_on_the_page_and_by_the_api(
    member: User, other_member: User, steward: User
) -> None:
    sol = Currency.objects.create(code="SOL", name="Sol", exponent=2)
    ob = services.obligation_create(
        actor=member, currency=sol, debtor=member, creditor=other_member, amount_minor=900, key="d"
    )
    services.obligation_dispute(actor=other_member, obligation=ob, reason="it was 12")
    ada, bo = _client(member), _client(other_member)
    text = _text(bo.get("/clearing/").content.decode())
    assert f"Obligation {ob.pk}: ada owes bo" in text
    assert "Withdraw this obligation" in text
    assert "Withdraw this obligation" not in _text(ada.get("/clearing/").content.decode())
    bo.post(f"/clearing/obligations/{ob.pk}/correct/", {"amount": "12.00", "reason": "receipt"})
    assert "bo proposed the corrected amount 12.00 SOL." in _text(
        ada.get("/clearing/").content.decode()
    )
    confirmed = ada.post(f"/api/clearing/obligations/{ob.pk}/correction/confirm")
    assert (confirmed.json()["amount_minor"], confirmed.json()["status"]) == (1200, "confirmed")
    withdrawn = bo.post(
        f"/api/clearing/obligations/{ob.pk}/withdraw",
        {"reason": "paid in cash"},
        content_type="application/json",
    )
    assert withdrawn.json()["status"] == "cancelled"
    refused = ada.post(
        f"/api/clearing/obligations/{ob.pk}/correction",
        {"amount_minor": 5},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json() == {"detail": "only a disputed obligation can be corrected"}


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edges=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5),
            st.integers(min_value=0, max_value=5),
            st.integers(min_value=1, max_value=9),
        ).filter(lambda e: e[0] != e[1]),
        min_size=1,
        max_size=14,
    )
)
def test_a_member_is_only_ever_shown_names_they_are_linked_to(
    steward: User, edges: list[tuple[int, int, int]]
) -> None:
    # given any obligations among six members and the run over them
    n = User.objects.count()
    people = [make_member(f"m{n}x{i}") for i in range(6)]
    sol = Currency.objects.create(code=f"C{n}", name="c", exponent=0)
    for d, c, amount in edges:
        Obligation.objects.create(
            currency=sol,
            debtor=people[d],
            creditor=people[c],
            amount_minor=amount,
            remaining_minor=amount,
            status=Obligation.Status.CONFIRMED,
        )
    run = services.run_start(actor=steward, currency=sol)
    linked = {p.pk: {p.username} for p in people}
    for d, c, _ in edges:
        linked[people[d].pk].add(people[c].username)
        linked[people[c].pk].add(people[d].username)
    for person in people:
        # then each cycle shown to a member contains them first and names only linked ones
        for cycle in queries.cycles_for(run, person):
            assert cycle.members[0] == person.username
            assert {m for m in cycle.members if m is not None} <= linked[person.pk]
        # and their position sums their own obligations' set-offs
        pos = queries.position(run, person)
        assert pos.owes_after >= 0 and pos.owed_after >= 0
        assert pos.owes_setoff == pos.owed_setoff  # set-off never changes a net position
    setoff = queries.setoff_by_member(run)
    assert all(
        queries.position(run, p).owes_setoff + queries.position(run, p).owed_setoff
        == setoff.get(p.pk, 0)
        for p in people
    )
