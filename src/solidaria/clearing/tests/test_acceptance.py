"""Members accept or object to a proposed clearing run; the network's rule decides when it
is applied (table of cases); an objection recomputes the run without the objector."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation, RunResponse, SetOff
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.ledger.models import Currency

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def sol(db: None) -> Currency:
    return Currency.objects.create(code="SOL", name="Sol", exponent=2)


@pytest.fixture
def people(db: None, steward: User) -> dict[str, User]:
    return {"stew": steward, **{n: make_member(n) for n in ("ada", "bo", "carla", "dan", "eve")}}


def _import(steward: User, sol: Currency, text: str) -> None:
    services.obligations_import(
        actor=steward, currency=sol, text="debtor,creditor,amount\n" + text, confirm_both=True
    )


@pytest.fixture
def two_cycles(people: dict[str, User], sol: Currency) -> dict[str, User]:
    """ada→bo→carla→ada (60.00 each) and carla→dan→eve→carla (10.00 each)."""
    _import(
        people["stew"],
        sol,
        "ada,bo,60\nbo,carla,60\ncarla,ada,60\ncarla,dan,10\ndan,eve,10\neve,carla,10\n",
    )
    return people


def _proposed(people: dict[str, User], sol: Currency, *, days: int = 3) -> ClearingRun:
    run = services.run_start(actor=people["stew"], currency=sol)
    return services.run_propose(
        actor=people["stew"], run=run, deadline=timezone.now() + days * DAY, reason="March"
    )


def test_a_proposal_records_the_rule_and_the_deadline_and_applies_nothing_yet(
    two_cycles: dict[str, User], sol: Currency
) -> None:
    run = _proposed(two_cycles, sol)
    assert run.status == ClearingRun.Status.PROPOSED
    assert run.acceptance_rule == "no_objection"
    assert queries.affected_member_ids(run) == {
        two_cycles[n].pk for n in ("ada", "bo", "carla", "dan", "eve")
    }
    assert SetOff.objects.count() == 0
    assert AuditEvent.objects.filter(verb="clearing.run.propose").count() == 1


@pytest.mark.parametrize("rule", ["no_objection", "all_accept"])
def test_when_every_member_accepts_the_run_is_applied_at_once_under_either_rule(
    two_cycles: dict[str, User], sol: Currency, rule: str
) -> None:
    with override_settings(SOLIDARIA={**_solidaria(), "CLEARING_ACCEPTANCE": rule}):
        run = _proposed(two_cycles, sol)
    for name in ("ada", "bo", "carla", "dan"):
        services.run_respond(actor=two_cycles[name], run=run, answer="accept")
        assert ClearingRun.objects.get(pk=run.pk).status == ClearingRun.Status.PROPOSED
    services.run_respond(actor=two_cycles["eve"], run=run, answer="accept")
    run.refresh_from_db()
    assert run.status == ClearingRun.Status.ACCEPTED
    assert run.decided_by == two_cycles["eve"]
    assert sum(SetOff.objects.values_list("amount_minor", flat=True)) == 3 * 6000 + 3 * 1000
    assert set(Obligation.objects.values_list("status", flat=True)) == {"settled"}


def _solidaria() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.SOLIDARIA)


# The table of the rule: (rule, answers before the deadline, status after apply-due)
RULE_CASES = [
    ("no_objection", {}, ClearingRun.Status.ACCEPTED),
    ("no_objection", {"ada": "accept"}, ClearingRun.Status.ACCEPTED),
    ("all_accept", {}, ClearingRun.Status.LAPSED),
    ("all_accept", {"ada": "accept", "bo": "accept"}, ClearingRun.Status.LAPSED),
]


@pytest.mark.parametrize(("rule", "answers", "status"), RULE_CASES)
def test_at_the_deadline_the_rule_decides(
    two_cycles: dict[str, User], sol: Currency, rule: str, answers: dict[str, str], status: str
) -> None:
    # given a proposal under `rule` and some answers
    with override_settings(SOLIDARIA={**_solidaria(), "CLEARING_ACCEPTANCE": rule}):
        run = _proposed(two_cycles, sol, days=2)
    for name, answer in answers.items():
        services.run_respond(actor=two_cycles[name], run=run, answer=answer)
    # when apply-due runs before and then after the deadline
    early = services.runs_apply_due(now=timezone.now() + DAY)
    assert early.applied == [] and early.lapsed == []
    report = services.runs_apply_due(now=timezone.now() + 3 * DAY)
    # then the run is applied or lapses, as the rule says
    run.refresh_from_db()
    assert run.status == status
    applied = status == ClearingRun.Status.ACCEPTED
    assert report.applied == ([run.pk] if applied else [])
    assert report.lapsed == ([] if applied else [run.pk])
    assert SetOff.objects.count() == (6 if applied else 0)
    assert run.decided_by is None  # the platform decided


def test_an_objection_recomputes_the_run_without_the_objectors_obligations(
    two_cycles: dict[str, User], sol: Currency, django_capture_on_commit_callbacks: object
) -> None:
    run = _proposed(two_cycles, sol, days=4)
    services.run_respond(actor=two_cycles["ada"], run=run, answer="accept")
    # when dan objects
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        standing = services.run_respond(
            actor=two_cycles["dan"], run=run, answer="object", reason="INV-7 is wrong"
        )
    # then the run is replaced by one computed without dan's obligations, proposed again
    run.refresh_from_db()
    standing.refresh_from_db()
    assert run.status == ClearingRun.Status.SUPERSEDED
    assert standing.previous_id == run.pk
    assert standing.status == ClearingRun.Status.PROPOSED
    assert standing.excluded_members == [two_cycles["dan"].pk]
    assert standing.summary["total_setoff"] == 3 * 6000  # only the ada-bo-carla cycle
    assert queries.affected_member_ids(standing) == {
        two_cycles[n].pk for n in ("ada", "bo", "carla")
    }
    window = standing.deadline - standing.proposed_at  # type: ignore[operator]
    assert dt.timedelta(days=4) - dt.timedelta(seconds=5) < window <= dt.timedelta(days=4)
    # ada's earlier acceptance was of the old proposal: she answers the new one
    assert queries.responses(standing) == {}
    for name in ("ada", "bo", "carla"):
        services.run_respond(actor=two_cycles[name], run=standing, answer="accept")
    standing.refresh_from_db()
    assert standing.status == ClearingRun.Status.ACCEPTED
    dan_obligations = Obligation.objects.filter(debtor=two_cycles["dan"])
    assert [o.remaining_minor for o in dan_obligations] == [1000]
    assert SetOff.objects.count() == 3


def test_an_objection_needs_a_reason_and_an_answer_is_given_once(
    two_cycles: dict[str, User], sol: Currency
) -> None:
    run = _proposed(two_cycles, sol)
    with pytest.raises(ValidationFailed, match="say why"):
        services.run_respond(actor=two_cycles["ada"], run=run, answer="object", reason=" ")
    services.run_respond(actor=two_cycles["ada"], run=run, answer="accept")
    services.run_respond(actor=two_cycles["ada"], run=run, answer="accept")  # a repeat
    with pytest.raises(Conflict, match="already answered"):
        services.run_respond(actor=two_cycles["ada"], run=run, answer="object", reason="no")
    with pytest.raises(ValidationFailed, match="accept or object"):
        services.run_respond(actor=two_cycles["bo"], run=run, answer="maybe")
    assert RunResponse.objects.count() == 1


def test_only_members_the_run_touches_answer_and_not_after_the_deadline(
    two_cycles: dict[str, User], sol: Currency
) -> None:
    outsider = make_member("zoe")
    run = _proposed(two_cycles, sol)
    for who in (outsider, two_cycles["stew"]):
        with pytest.raises(PermissionDenied, match="Only the members whose obligations"):
            services.run_respond(actor=who, run=run, answer="accept")
    ClearingRun.objects.filter(pk=run.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(Conflict, match="deadline"):
        services.run_respond(actor=two_cycles["ada"], run=run, answer="accept")
    assert RunResponse.objects.count() == 0


def test_proposing_needs_a_computed_run_a_steward_and_a_future_deadline(
    two_cycles: dict[str, User], sol: Currency
) -> None:
    run = services.run_start(actor=two_cycles["stew"], currency=sol)
    with pytest.raises(PermissionDenied):
        services.run_propose(actor=two_cycles["ada"], run=run, deadline=timezone.now() + DAY)
    with pytest.raises(ValidationFailed, match="future"):
        services.run_propose(actor=two_cycles["stew"], run=run, deadline=timezone.now() - DAY)
    services.run_reject(actor=two_cycles["stew"], run=run, reason="not now")
    with pytest.raises(Conflict, match="only a computed run"):
        services.run_propose(actor=two_cycles["stew"], run=run, deadline=timezone.now() + DAY)


def test_a_second_run_waits_until_the_proposal_is_decided(
    two_cycles: dict[str, User], sol: Currency
) -> None:
    run = _proposed(two_cycles, sol)
    with pytest.raises(Conflict, match="awaits its members"):
        services.run_start(actor=two_cycles["stew"], currency=sol)
    services.run_reject(actor=two_cycles["stew"], run=run, reason="withdrawn")
    assert services.run_start(actor=two_cycles["stew"], currency=sol).pk != run.pk


def test_a_run_touching_nobody_is_applied_when_proposed(
    people: dict[str, User], sol: Currency
) -> None:
    _import(people["stew"], sol, "ada,bo,5\n")  # no cycle
    run = _proposed(people, sol)
    assert run.status == ClearingRun.Status.ACCEPTED
    assert SetOff.objects.count() == 0


def test_apply_due_command_and_an_unknown_rule(two_cycles: dict[str, User], sol: Currency) -> None:
    run = _proposed(two_cycles, sol)
    ClearingRun.objects.filter(pk=run.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    out = StringIO()
    call_command("clearing", "apply-due", stdout=out)
    assert out.getvalue().startswith(f"applied: 1 [{run.pk}]; lapsed: 0 []")
    assert ClearingRun.objects.get(pk=run.pk).status == ClearingRun.Status.ACCEPTED
    unknown = {**_solidaria(), "CLEARING_ACCEPTANCE": "majority"}
    with (
        override_settings(SOLIDARIA=unknown),
        pytest.raises(ImproperlyConfigured, match="CLEARING_ACCEPTANCE"),
    ):
        services.acceptance_rule()


def test_members_are_told_of_the_proposal_and_of_the_applied_run(
    two_cycles: dict[str, User], sol: Currency
) -> None:
    from solidaria.notifications.models import Notification

    run = _proposed(two_cycles, sol)
    told = Notification.objects.filter(kind="clearing.run.proposed")
    assert sorted(n.user.username for n in told) == ["ada", "bo", "carla", "dan", "eve"]
    services.runs_apply_due(now=timezone.now() + 4 * DAY)
    applied = Notification.objects.filter(kind="clearing.run.applied", user=two_cycles["carla"])
    assert applied.count() == 1
    assert ClearingRun.objects.get(pk=run.pk).status == ClearingRun.Status.ACCEPTED
