"""Membership, directory, budgeting and co-op events: the right people get one notification
each, none after a replay, and the sentence says what happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from solidaria.accounts import services as accounts
from solidaria.accounts.factories import make_member
from solidaria.budgeting import services as pb
from solidaria.budgeting.models import ProjectStatus
from solidaria.directory import services as directory
from solidaria.governance import services as gov
from solidaria.notifications.events import polls_closing_soon
from solidaria.notifications.models import Notification
from solidaria.notifications.render import sentence

pytestmark = pytest.mark.django_db


def _told(kind: str) -> list[tuple[str, str]]:
    return [
        (n.user.username, sentence(n))
        for n in Notification.objects.filter(kind=kind).select_related("user").order_by("id")
    ]


# accounts


def test_an_application_tells_the_stewards_and_its_decision_the_applicant(steward):
    person = accounts.member_sign_up(username="zoe", email="zoe@example.org", password="x-9!pw-zz")
    assert _told("accounts.application.received") == [("stew", "zoe applied to join the network.")]
    accounts.admission_decide(
        actor=steward, user_id=person.pk, decision="decline", reason="not from here"
    )
    accounts.admission_decide(
        actor=steward, user_id=person.pk, decision="admit", reason="we know her"
    )
    assert _told("accounts.application.decided") == [
        ("zoe", "Your application to Solidaria demo network was declined: not from here"),
        ("zoe", "Welcome: you are now a member of Solidaria demo network."),
    ]


# directory


def test_a_proposed_entry_goes_to_the_stewards_and_back_with_the_reason(member, steward):
    org = directory.organisation_create(actor=member, data={"name": "Ada's Bakery"})
    assert _told("directory.entry.to_review") == [
        ("stew", "ada proposed Ada's Bakery for the directory.")
    ]
    directory.organisation_review(
        actor=steward, org_id=org.pk, decision="reject", reason="no address"
    )
    assert _told("directory.entry.decided") == [
        ("ada", "Your directory entry Ada's Bakery was not accepted: no address")
    ]


def test_an_edit_of_a_confirmed_entry_is_reviewed_too(member, steward):
    org = directory.organisation_create(actor=member, data={"name": "Mill"})
    directory.organisation_review(actor=steward, org_id=org.pk, decision="confirm")
    Notification.objects.all().delete()
    directory.organisation_update(actor=member, org_id=org.pk, data={"name": "Mill Co-op"})
    directory.organisation_update(actor=member, org_id=org.pk, data={"name": "Mill Co-op"})
    assert _told("directory.entry.to_review") == [
        ("stew", "ada proposed changes to Mill in the directory.")
    ]
    directory.pending_edit_review(actor=steward, org_id=org.pk, decision="confirm")
    assert _told("directory.entry.decided") == [
        ("ada", "Your changes to Mill Co-op were accepted.")
    ]


def test_a_stewards_own_entry_asks_nobody(steward):
    directory.organisation_create(actor=steward, data={"name": "Network office"})
    assert _told("directory.entry.to_review") == []


# budgeting


def test_phase_changes_reach_the_members_and_reviews_the_proposer(member, other_member, steward):
    process = pb.process_create(
        actor=steward, settings=pb.ProcessSettings(title="Park fund", budget_minor=100)
    )
    project = pb.project_submit(actor=member, process=process, title="Bench", cost_minor=40)
    pb.project_review(actor=steward, project=project, status=ProjectStatus.FEASIBLE, note="ok")
    assert _told("budgeting.project.reviewed") == [
        ("ada", "Your project Bench in Park fund was reviewed: feasible. ok")
    ]
    pb.phase_advance(actor=steward, process=process)
    assert sorted(_told("budgeting.phase.changed")) == [
        ("ada", "Park fund moved to its next phase: review."),
        ("bo", "Park fund moved to its next phase: review."),
    ]


# governance


@pytest.fixture
def bread(steward: Any, member: Any, other_member: Any) -> Any:
    coop = gov.coop_create(actor=steward, name="Bread", slug="bread", classes=[("workers", 1)])
    workers = coop.classes.get()
    for person in (member, other_member):
        gov.membership_add(actor=steward, coop=coop, user=person, member_class=workers)
    make_member("outsider")
    return coop


def test_a_poll_opened_tells_the_coop_and_its_close_the_outcome(steward, member, bread):
    poll = gov.poll_create(
        actor=steward,
        coop=bread,
        kind="proposal",
        title="New oven",
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    assert sorted(name for name, _s in _told("governance.poll.opened")) == ["ada", "bo"]
    gov.vote_cast(actor=member, poll=poll, choice={"vote": "yes"})
    gov.poll_close(actor=steward, poll=poll)
    told = _told("governance.poll.closed")
    assert sorted(name for name, _s in told) == ["ada", "bo"]
    assert told[0][1].startswith("The poll New oven in Bread closed: ")
    assert "passed" in told[0][1] or "not passed" in told[0][1] or "quorum" in told[0][1]


def test_polls_closing_within_a_day_remind_who_has_not_voted_once(steward, member, bread):
    now = timezone.now()
    soon = gov.poll_create(
        actor=steward,
        coop=bread,
        kind="proposal",
        title="Soon",
        closes_at=now + dt.timedelta(hours=5),
    )
    gov.poll_create(
        actor=steward,
        coop=bread,
        kind="proposal",
        title="Later",
        closes_at=now + dt.timedelta(days=5),
    )
    gov.vote_cast(actor=member, poll=soon, choice={"vote": "yes"})
    assert polls_closing_soon() == 1
    assert polls_closing_soon() == 1  # counted again, told once
    assert [name for name, _s in _told("governance.poll.closing")] == ["bo"]
