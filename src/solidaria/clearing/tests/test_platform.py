"""Clearing in the platform: obligations confirmed by both sides, runs, acceptance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation, SetOff
from solidaria.core.errors import PermissionDenied, ValidationFailed
from solidaria.ledger.models import Currency

pytestmark = pytest.mark.django_db


@pytest.fixture
def eur(db: None) -> Currency:
    return Currency.objects.create(code="SOL", name="Sol", exponent=2)


@pytest.fixture
def carla(db: None) -> User:
    return make_member(username="carla", password="pw-carla-123!")


def _agreed(run: ClearingRun, steward: User) -> ClearingRun:
    """The steward proposes the run and every member it touches accepts: it is applied."""
    services.run_propose(actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=3))
    for user in User.objects.filter(pk__in=queries.affected_member_ids(run)).order_by("pk"):
        services.run_respond(actor=user, run=run, answer="accept")
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.ACCEPTED
    return run


def _triangle(steward: User, eur: Currency) -> None:
    services.obligations_import(
        actor=steward,
        currency=eur,
        text="debtor,creditor,amount\nada,bo,100.00\nbo,carla,60.00\ncarla,ada,80.50\n",
        confirm_both=True,
    )


def test_recording_side_confirms_and_the_other_side_must_too(
    member: User, other_member: User, eur: Currency
) -> None:
    ob = services.obligation_create(
        actor=member, currency=eur, debtor=member, creditor=other_member, amount_minor=500, key="k1"
    )
    assert ob.status == Obligation.Status.PENDING
    assert ob.debtor_confirmed_at is not None and ob.creditor_confirmed_at is None
    ob = services.obligation_confirm(actor=other_member, obligation=ob)
    assert ob.status == Obligation.Status.CONFIRMED


def test_repeat_with_the_same_key_records_once(
    member: User, other_member: User, eur: Currency
) -> None:
    kwargs = dict(
        actor=member, currency=eur, debtor=member, creditor=other_member, amount_minor=500, key="k"
    )
    first = services.obligation_create(**kwargs)
    again = services.obligation_create(**kwargs)
    assert first.pk == again.pk
    assert Obligation.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [(0, "more than zero"), (-5, "more than zero"), (1.5, "whole number")],
)
def test_bad_amounts_are_refused(
    member: User, other_member: User, eur: Currency, amount: object, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        services.obligation_create(
            actor=member,
            currency=eur,
            debtor=member,
            creditor=other_member,
            amount_minor=amount,
            key="k",  # type: ignore[arg-type]
        )
    assert Obligation.objects.count() == 0


def test_self_obligation_and_third_parties_are_refused(
    member: User, other_member: User, carla: User, eur: Currency
) -> None:
    with pytest.raises(ValidationFailed, match="owe themselves"):
        services.obligation_create(
            actor=member, currency=eur, debtor=member, creditor=member, amount_minor=5, key="a"
        )
    with pytest.raises(PermissionDenied):
        services.obligation_create(
            actor=carla, currency=eur, debtor=member, creditor=other_member, amount_minor=5, key="b"
        )
    assert Obligation.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("debtor,creditor,amount\nada,bo,1.005\n", "line 2, amount"),
        ("debtor,creditor,amount\nada,bo,10\nada,nobody,10\n", "line 3, creditor: unknown member"),
        ("debtor,creditor,amount\nada,ada,10\n", "line 2: a member cannot owe themselves"),
        ("debtor,creditor,amount\nada,bo\n", "line 2: expected 3 or 4 columns"),
        ("who,whom,much\nada,bo,1\n", "line 1"),
        ("debtor,creditor,amount\nada,bo,0\n", "more than zero"),
    ],
)
def test_import_refuses_the_whole_file_on_a_bad_line(
    steward: User, member: User, other_member: User, eur: Currency, text: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        services.obligations_import(actor=steward, currency=eur, text=text)
    assert Obligation.objects.count() == 0


def test_a_run_sets_off_the_cycle_and_the_members_acceptance_applies_it(
    steward: User, member: User, other_member: User, carla: User, eur: Currency
) -> None:
    _triangle(steward, eur)
    run = services.run_start(actor=steward, currency=eur)
    assert run.status == ClearingRun.Status.COMPUTED
    assert run.summary["total_debt"] == 24050
    assert run.summary["total_setoff"] == 18000  # the 60.00 cycle, three times
    assert list(run.items.order_by("obligation_id").values_list("setoff_minor", flat=True)) == [
        6000,
        6000,
        6000,
    ]
    _agreed(run, steward)
    remaining = dict(Obligation.objects.values_list("debtor__username", "remaining_minor"))
    assert remaining == {"ada": 4000, "bo": 0, "carla": 2050}
    assert Obligation.objects.get(debtor__username="bo").status == Obligation.Status.SETTLED
    assert SetOff.objects.count() == 3
    for ob in Obligation.objects.all():
        applied = sum(s.amount_minor for s in ob.setoffs.all())
        assert ob.remaining_minor == ob.amount_minor - applied


def test_accepting_twice_applies_once_and_rejecting_changes_nothing(
    steward: User, member: User, other_member: User, carla: User, eur: Currency
) -> None:
    _triangle(steward, eur)
    run = _agreed(services.run_start(actor=steward, currency=eur), steward)
    services.run_respond(actor=member, run=run, answer="accept")
    assert SetOff.objects.count() == 3
    second = services.run_start(actor=steward, currency=eur)
    assert second.summary["total_setoff"] == 0
    before = list(Obligation.objects.values_list("pk", "remaining_minor", "version"))
    services.run_reject(actor=steward, run=second, reason="nothing to do")
    assert list(Obligation.objects.values_list("pk", "remaining_minor", "version")) == before


def test_a_run_whose_obligations_changed_is_recomputed_instead_of_applied(
    steward: User, member: User, other_member: User, carla: User, eur: Currency
) -> None:
    # given a proposed triangle run, and ada then disputing her obligation
    _triangle(steward, eur)
    run = services.run_start(actor=steward, currency=eur)
    services.run_propose(actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=1))
    ob = Obligation.objects.get(debtor=member)
    services.obligation_dispute(actor=member, obligation=ob, reason="wrong amount")
    # when every member accepts the (now stale) proposal
    services.run_respond(actor=member, run=run, answer="accept")
    services.run_respond(actor=other_member, run=run, answer="accept")
    services.run_respond(actor=carla, run=run, answer="accept")
    # then nothing is applied: the run is replaced by a recomputed one with no cycle left
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.SUPERSEDED
    assert SetOff.objects.count() == 0
    assert Obligation.objects.filter(remaining_minor=F("amount_minor")).count() == 3


def test_members_cannot_run_or_accept(
    steward: User, member: User, other_member: User, carla: User, eur: Currency
) -> None:
    _triangle(steward, eur)
    with pytest.raises(PermissionDenied):
        services.run_start(actor=member, currency=eur)
    run = services.run_start(actor=steward, currency=eur)
    with pytest.raises(PermissionDenied):
        services.run_propose(actor=member, run=run, deadline=timezone.now() + dt.timedelta(days=1))
    assert ClearingRun.objects.get().status == ClearingRun.Status.COMPUTED


def test_pages_api_and_notices(
    steward: User,
    member: User,
    other_member: User,
    carla: User,
    eur: Currency,
    steward_client: Client,
    member_client: Client,
) -> None:
    _triangle(steward, eur)
    response = steward_client.post("/clearing/runs/", {"run-currency": eur.pk})
    run = ClearingRun.objects.get()
    assert response.status_code == 302
    page = steward_client.get(f"/clearing/runs/{run.pk}/")
    assert page.status_code == 200
    assert "Propose to the members" in page.content.decode()
    deadline = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    steward_client.post(
        f"/clearing/runs/{run.pk}/decide/propose/", {"deadline": deadline, "reason": "ok"}
    )
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.PROPOSED
    for user in (member, other_member, carla):
        client = Client()
        client.force_login(user)
        client.post(f"/clearing/runs/{run.pk}/respond/", {"answer": "accept"})
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.ACCEPTED

    notice = member_client.get(f"/api/clearing/runs/{run.pk}/notice").json()
    assert [(x["role"], x["setoff"]) for x in notice] == [("debtor", 6000), ("creditor", 6000)]
    csv_text = member_client.get(f"/clearing/runs/{run.pk}/notice.csv").content.decode()
    assert csv_text.splitlines()[1].endswith(",100.00,60.00,40.00")
    pdf = member_client.get(f"/clearing/runs/{run.pk}/notice.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert Client().get(f"/api/clearing/runs/{run.pk}").status_code == 401


def test_a_member_outside_the_run_cannot_see_it(
    steward: User, member: User, other_member: User, carla: User, eur: Currency
) -> None:
    services.obligations_import(
        actor=steward,
        currency=eur,
        text="debtor,creditor,amount\nada,bo,1\nbo,ada,1\n",
        confirm_both=True,
    )
    run = services.run_start(actor=steward, currency=eur)
    client = Client()
    client.force_login(carla)
    assert client.get(f"/api/clearing/runs/{run.pk}").status_code == 404
    page = client.get(f"/clearing/runs/{run.pk}/")  # the run's totals only
    assert page.status_code == 200
    assert "Your part in this run" not in page.content.decode()
    assert "Debt per member" not in page.content.decode()


def test_api_records_an_obligation_with_an_idempotency_key(
    member_token: str, member: User, other_member: User, eur: Currency
) -> None:
    client = Client(headers={"Authorization": f"Bearer {member_token}", "Idempotency-Key": "x1"})
    body = {"currency": "SOL", "debtor": "ada", "creditor": "bo", "amount_minor": 1234}
    first = client.post("/api/clearing/obligations", body, content_type="application/json")
    again = client.post("/api/clearing/obligations", body, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    bad = client.post(
        "/api/clearing/obligations",
        {**body, "creditor": "ghost"},
        content_type="application/json",
        headers={"Idempotency-Key": "x2"},
    )
    assert bad.status_code == 422
    assert bad.json() == {"detail": "unknown member 'ghost'", "field": "creditor"}
