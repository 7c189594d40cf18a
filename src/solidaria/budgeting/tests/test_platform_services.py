"""Budgeting services: phases and roles, ballot rules, the secret ballot, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.budgeting import queries, services
from solidaria.budgeting.models import (
    Ballot,
    BallotType,
    Completion,
    Electorate,
    Phase,
    PhaseSchedule,
    Process,
    Project,
    ProjectStatus,
    Rule,
    VoterReceipt,
)
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def make_process(steward: User, **overrides: Any) -> Process:
    settings = {
        "title": "Neighbourhood fund",
        "budget_minor": 100,
        "ballot_type": BallotType.APPROVAL,
        "rule": Rule.MES,
        "completion": Completion.NONE,
    } | overrides
    return services.process_create(actor=steward, settings=services.ProcessSettings(**settings))


def make_voting(
    steward: User, proposer: User, costs: tuple[int, ...] = (60, 40, 30), **overrides: Any
) -> tuple[Process, list[Project]]:
    """A process in the voting phase with feasible projects p1, p2, ... of these costs."""
    process = make_process(steward, **overrides)
    projects = [
        services.project_submit(
            actor=proposer, process=process, title=f"Project {i}", cost_minor=cost
        )
        for i, cost in enumerate(costs, start=1)
    ]
    services.phase_advance(actor=steward, process=process)
    for project in projects:
        services.project_review(actor=steward, project=project, status=ProjectStatus.FEASIBLE)
    services.phase_advance(actor=steward, process=process)
    process.refresh_from_db()
    assert process.phase == Phase.VOTING
    return process, projects


def voter(name: str) -> User:
    return make_member(username=name, password="pw-123-xyz!")


# ---------------------------------------------------------------- phases and roles


def test_a_member_cannot_create_a_process_or_advance_its_phase(member, steward):
    # given a process created by a steward
    process = make_process(steward)
    # when a member tries steward actions, then they are refused and nothing changes
    with pytest.raises(PermissionDenied):
        make_process(member)
    with pytest.raises(PermissionDenied):
        services.phase_advance(actor=member, process=process)
    process.refresh_from_db()
    assert process.phase == Phase.SUBMISSION
    assert Process.objects.count() == 1


def test_phases_run_in_order_and_stop_at_results(steward, member):
    process, _projects = make_voting(steward, member)
    services.phase_advance(actor=steward, process=process)
    process.refresh_from_db()
    assert process.phase == Phase.RESULTS
    with pytest.raises(Conflict):
        services.phase_advance(actor=steward, process=process)
    opened = PhaseSchedule.objects.filter(process=process, opened_at__isnull=False).count()
    assert opened == 4


@pytest.mark.parametrize(
    ("phase", "can_submit", "can_review"),
    [
        (Phase.SUBMISSION, True, True),
        (Phase.REVIEW, False, True),
        (Phase.VOTING, False, False),
        (Phase.RESULTS, False, False),
    ],
)
def test_proposals_and_reviews_are_allowed_only_in_their_phases(
    steward, member, phase, can_submit, can_review
):
    # given a process in `phase` with one proposal
    process = make_process(steward)
    project = services.project_submit(actor=member, process=process, title="Bench", cost_minor=5)
    Process.objects.filter(pk=process.pk).update(phase=phase)
    process.refresh_from_db()
    # when a member proposes and a steward reviews
    if can_submit:
        services.project_submit(actor=member, process=process, title="Tree", cost_minor=5)
    else:
        with pytest.raises(Conflict):
            services.project_submit(actor=member, process=process, title="Tree", cost_minor=5)
    if can_review:
        services.project_review(
            actor=steward, project=project, status=ProjectStatus.FEASIBLE, cost_minor=7
        )
    else:
        with pytest.raises(Conflict):
            services.project_review(actor=steward, project=project, status=ProjectStatus.FEASIBLE)
    # then only the allowed changes happened
    assert process.projects.count() == (2 if can_submit else 1)
    project.refresh_from_db()
    assert (project.status, project.cost_minor) == (
        (ProjectStatus.FEASIBLE, 7) if can_review else (ProjectStatus.PROPOSED, 5)
    )


def test_a_member_cannot_review_and_a_stranger_cannot_propose(steward, member):
    process = make_process(steward)
    project = services.project_submit(actor=member, process=process, title="Bench", cost_minor=5)
    with pytest.raises(PermissionDenied):
        services.project_review(actor=member, project=project, status=ProjectStatus.FEASIBLE)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.project_submit(actor=AnonymousUser(), process=process, title="Tree", cost_minor=5)
    assert process.projects.count() == 1


def test_unreviewed_proposals_are_rejected_when_voting_opens(steward, member):
    process = make_process(steward)
    kept = services.project_submit(actor=member, process=process, title="A", cost_minor=5)
    forgotten = services.project_submit(actor=member, process=process, title="B", cost_minor=5)
    services.project_review(actor=steward, project=kept, status=ProjectStatus.FEASIBLE)
    services.phase_advance(actor=steward, process=process)
    services.phase_advance(actor=steward, process=process)
    forgotten.refresh_from_db()
    assert forgotten.status == ProjectStatus.REJECTED


def test_voting_needs_a_feasible_project(steward, member):
    process = make_process(steward)
    services.phase_advance(actor=steward, process=process)
    with pytest.raises(Conflict):
        services.phase_advance(actor=steward, process=process)


def test_a_rule_change_bumps_the_version(steward):
    process = make_process(steward)
    services.rule_update(
        actor=steward,
        process=process,
        rule=Rule.GREEDY_THRESHOLD,
        completion=Completion.NONE,
        parameters={"min_project_score_threshold": 2},
    )
    process.refresh_from_db()
    assert (process.rule, process.rule_version) == (Rule.GREEDY_THRESHOLD, 2)
    with pytest.raises(ValidationFailed) as exc:
        services.rule_update(
            actor=steward,
            process=process,
            rule=Rule.GREEDY_THRESHOLD,
            completion=Completion.NONE,
            parameters={},
        )
    assert exc.value.field == "rule_parameters"


# ---------------------------------------------------------------- ballot rules


@pytest.mark.parametrize(
    ("limits", "projects", "points", "field", "reason"),
    [
        ({"max_length": 1}, ["p1", "p2"], None, "projects", "Choose at most 1 projects."),
        ({"min_length": 2}, ["p1"], None, "projects", "Choose at least 2 projects."),
        (
            {"max_sum_cost": 80},
            ["p1", "p2"],
            None,
            "projects",
            "The projects cost 100 EUR together, more than the limit of 80 EUR.",
        ),
        ({}, ["p1", "p1"], None, "projects", "A project appears twice on the ballot."),
        ({}, ["p9"], None, "projects", "Not on this ballot: p9."),
        ({}, ["p1"], [1], "points", "This ballot takes no points."),
        (
            {"ballot_type": BallotType.CHOOSE_1},
            ["p1", "p2"],
            None,
            "projects",
            "Choose exactly one project.",
        ),
        (
            {"ballot_type": BallotType.CUMULATIVE, "max_points": 3, "max_sum_points": 5},
            ["p1", "p2"],
            [4, 1],
            "points",
            "At most 3 points per project.",
        ),
        (
            {"ballot_type": BallotType.CUMULATIVE, "max_points": 3, "max_sum_points": 5},
            ["p1", "p2"],
            [3, 3],
            "points",
            "At most 5 points in total.",
        ),
        (
            {"ballot_type": BallotType.CUMULATIVE, "max_sum_points": 5},
            ["p1", "p2"],
            [3],
            "points",
            "Give points for each chosen project.",
        ),
        (
            {"ballot_type": BallotType.ORDINAL, "min_length": 2, "max_length": 3},
            ["p3"],
            None,
            "projects",
            "Choose at least 2 projects.",
        ),
    ],
)
def test_an_invalid_ballot_is_refused_with_its_reason_and_nothing_is_stored(
    steward, member, limits, projects, points, field, reason
):
    # given an open vote with three projects costing 60, 40 and 30
    process, _projects = make_voting(steward, member, **limits)
    # when the member casts a ballot that breaks a rule
    with pytest.raises(ValidationFailed) as exc:
        services.ballot_cast(actor=member, process=process, projects=projects, points=points)
    # then the reason and field say why, and nothing was stored
    assert (exc.value.field, exc.value.message) == (field, reason)
    assert Ballot.objects.count() == 0
    assert VoterReceipt.objects.count() == 0


@pytest.mark.parametrize(
    ("limits", "projects", "points"),
    [
        ({"max_length": 2}, ["p1", "p2"], None),
        ({"max_sum_cost": 100}, ["p1", "p2"], None),
        ({"ballot_type": BallotType.CHOOSE_1}, ["p3"], None),
        ({"ballot_type": BallotType.CUMULATIVE, "max_sum_points": 5}, ["p1", "p3"], [2, 3]),
        ({"ballot_type": BallotType.ORDINAL, "max_length": 3}, ["p3", "p1", "p2"], None),
    ],
)
def test_a_valid_ballot_of_each_type_is_stored_as_given(steward, member, limits, projects, points):
    process, _projects = make_voting(steward, member, **limits)
    services.ballot_cast(actor=member, process=process, projects=projects, points=points)
    ballot = Ballot.objects.get()
    assert (ballot.projects, ballot.points) == (projects, points or [])


# ---------------------------------------------------------------- the secret ballot


def test_the_ballot_table_has_nothing_that_links_it_to_a_voter():
    # given the Ballot model's concrete columns
    fields = {f.name: f for f in Ballot._meta.concrete_fields}
    # then: no foreign key except to the process, no time, no counter
    assert set(fields) == {"id", "process", "projects", "points", "change_tag", "is_imported"}
    relations = [f for f in fields.values() if f.is_relation]
    assert [f.related_model for f in relations] == [Process]
    assert not any(
        isinstance(f, (models.DateTimeField, models.DateField, models.TimeField))
        for f in fields.values()
    )
    assert isinstance(fields["id"], models.UUIDField)
    assert not any(isinstance(f, (models.AutoField, models.BigAutoField)) for f in fields.values())
    assert Ballot._meta.ordering == ["id"]
    # and the receipt has no way to the ballot either
    receipt_fields = {f.name for f in VoterReceipt._meta.concrete_fields}
    assert receipt_fields == {"id", "process", "voter", "code"}
    assert not any(f.related_model is Ballot for f in VoterReceipt._meta.get_fields())


def test_a_voter_changes_the_ballot_with_the_secret_and_only_with_it(steward, member):
    process, _projects = make_voting(steward, member)
    first = services.ballot_cast(actor=member, process=process, projects=["p1"])
    # without the secret a second vote is refused and the first ballot stays
    with pytest.raises(Conflict) as exc:
        services.ballot_cast(actor=member, process=process, projects=["p2"])
    assert exc.value.field == "secret"
    with pytest.raises(Conflict):
        services.ballot_cast(actor=member, process=process, projects=["p2"], secret="guess")
    assert list(Ballot.objects.values_list("projects", flat=True)) == [["p1"]]
    # with it the ballot is replaced, not added
    second = services.ballot_cast(
        actor=member, process=process, projects=["p2", "p3"], secret=first.secret
    )
    assert (second.is_change, first.is_change) == (True, False)
    assert list(Ballot.objects.values_list("projects", flat=True)) == [["p2", "p3"]]
    assert VoterReceipt.objects.count() == 1
    # and the stored tag is not the secret
    assert first.secret not in Ballot.objects.get().change_tag


def test_closing_the_vote_seals_ballots_under_new_ids_without_tags(steward, member, other_member):
    process, _projects = make_voting(steward, member)
    services.ballot_cast(actor=member, process=process, projects=["p1"])
    services.ballot_cast(actor=other_member, process=process, projects=["p2"])
    before = set(Ballot.objects.values_list("id", flat=True))
    services.phase_advance(actor=steward, process=process)
    after = list(Ballot.objects.values_list("id", "change_tag", "projects"))
    assert {a[0] for a in after}.isdisjoint(before)
    assert [a[1] for a in after] == [None, None]
    assert sorted(a[2] for a in after) == [["p1"], ["p2"]]


# ---------------------------------------------------------------- refusals store nothing


def test_voting_outside_the_voting_phase_is_refused(steward, member):
    process, _projects = make_voting(steward, member)
    services.phase_advance(actor=steward, process=process)
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=member, process=process, projects=["p1"])
    early = make_process(steward, title="Early")
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=member, process=early, projects=[])
    assert (Ballot.objects.count(), VoterReceipt.objects.count()) == (0, 0)


def test_voting_after_the_scheduled_end_is_refused_even_before_the_steward_advances(
    steward, member
):
    process, _projects = make_voting(steward, member)
    PhaseSchedule.objects.filter(process=process, phase=Phase.VOTING).update(
        ends_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=member, process=process, projects=["p1"])
    assert Ballot.objects.count() == 0


def test_a_non_member_cannot_vote_in_a_members_process(steward, member):
    from django.contrib.auth.models import AnonymousUser

    process, _projects = make_voting(steward, member)
    inactive = voter("gone")
    inactive.is_active = False
    inactive.save()
    for outsider in (AnonymousUser(), inactive):
        with pytest.raises(PermissionDenied):
            services.ballot_cast(actor=outsider, process=process, projects=["p1"])
    assert (Ballot.objects.count(), VoterReceipt.objects.count()) == (0, 0)


def test_residents_vote_once_per_code_and_change_only_with_the_secret(steward, member):
    from django.contrib.auth.models import AnonymousUser

    process, _projects = make_voting(steward, member, electorate=Electorate.CODES)
    codes = services.codes_generate(actor=steward, process=process, count=3)
    assert len(set(codes)) == 3
    assert process.codes.count() == 3
    assert not process.codes.filter(code_hash__in=codes).exists()  # only hashes stored
    anyone = AnonymousUser()
    # an unknown code is refused
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=anyone, process=process, projects=["p1"], code="NOPE-NOPE")
    # a code votes once (lower case and without dashes is the same code)
    first = services.ballot_cast(
        actor=anyone, process=process, projects=["p1"], code=codes[0].lower().replace("-", "")
    )
    with pytest.raises(Conflict):
        services.ballot_cast(actor=anyone, process=process, projects=["p2"], code=codes[0])
    assert list(Ballot.objects.values_list("projects", flat=True)) == [["p1"]]
    services.ballot_cast(
        actor=anyone, process=process, projects=["p2"], code=codes[0], secret=first.secret
    )
    assert list(Ballot.objects.values_list("projects", flat=True)) == [["p2"]]
    # a member without a code is no voter here
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=member, process=process, projects=["p1"])
    assert (Ballot.objects.count(), VoterReceipt.objects.count()) == (1, 1)


def test_codes_are_refused_for_a_members_process_and_for_members(steward, member):
    process, _projects = make_voting(steward, member)
    with pytest.raises(Conflict):
        services.codes_generate(actor=steward, process=process, count=2)
    coded, _ = make_voting(steward, member, title="Coded", electorate=Electorate.CODES)
    with pytest.raises(PermissionDenied):
        services.codes_generate(actor=member, process=coded, count=2)
    assert coded.codes.count() == 0


def test_withdrawn_projects_stay_visible_and_ballots_for_them_are_refused(steward, member):
    process = make_process(steward)
    projects = [
        services.project_submit(actor=member, process=process, title=t, cost_minor=30)
        for t in ("Swings", "Pond", "Bench")
    ]
    services.project_withdraw(actor=member, project=projects[0])  # before voting opens
    services.phase_advance(actor=steward, process=process)
    for project in projects[1:]:
        services.project_review(actor=steward, project=project, status=ProjectStatus.FEASIBLE)
    services.phase_advance(actor=steward, process=process)
    assert process.projects.filter(status=ProjectStatus.WITHDRAWN).count() == 1
    with pytest.raises(ValidationFailed):
        services.ballot_cast(actor=member, process=process, projects=["p1"])
    assert [p.code for p in queries.ballot_projects(process)] == ["p2", "p3"]
