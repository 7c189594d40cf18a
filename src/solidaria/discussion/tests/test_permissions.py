"""Who reads and who takes part in each kind of thread, as a table (core/permissions.py
rules "discussion.thread.read" and "discussion.comment.post", discussion/parents.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from solidaria.accounts.factories import make_member, make_person
from solidaria.accounts.models import Admission
from solidaria.core.permissions import SYSTEM, allowed

pytestmark = pytest.mark.django_db

# role -> (reads, posts) for each parent
TABLE = {
    "offer": {
        "anonymous": (True, False),
        "applicant": (True, False),
        "suspended": (True, False),
        "member": (True, True),
        "outsider": (True, True),
        "steward": (True, True),
    },
    "poll": {  # ada is in the co-op; "outsider" (bo) is not
        "anonymous": (False, False),
        "applicant": (False, False),
        "suspended": (False, False),
        "member": (True, True),
        "outsider": (False, False),
        "steward": (True, True),
    },
    "proposed_org": {  # ada proposed it
        "anonymous": (False, False),
        "applicant": (False, False),
        "suspended": (False, False),
        "member": (True, True),
        "outsider": (False, False),
        "steward": (True, True),
    },
    "members_project": {  # a members-only budgeting process
        "anonymous": (False, False),
        "applicant": (False, False),
        "suspended": (False, False),
        "member": (True, True),
        "outsider": (True, True),
        "steward": (True, True),
    },
}
CASES = [
    pytest.param(parent, role, reads, posts, id=f"{parent}-{role}")
    for parent, roles in TABLE.items()
    for role, (reads, posts) in roles.items()
]


@pytest.fixture
def members_project(project) -> Any:
    from solidaria.budgeting.models import Process

    Process.objects.filter(pk=project.process_id).update(visibility="members")
    project.process.refresh_from_db()
    return project


@pytest.fixture
def people(member, other_member, applicant, steward) -> dict[str, Any]:
    return {
        "anonymous": AnonymousUser(),
        "applicant": applicant,
        "suspended": make_person("sus", admission=Admission.SUSPENDED),
        "member": member,
        "outsider": other_member,
        "steward": steward,
    }


@pytest.mark.parametrize(("parent_name", "role", "reads", "posts"), CASES)
def test_who_reads_and_who_posts(
    request: pytest.FixtureRequest, people, parent_name, role, reads, posts
) -> None:
    parent = request.getfixturevalue(parent_name)
    actor = people[role]

    assert allowed(actor, "discussion.thread.read", parent) is reads
    assert allowed(actor, "discussion.comment.post", parent) is posts


def test_the_platform_may_do_everything(offer) -> None:
    assert allowed(SYSTEM, "discussion.comment.post", offer)


def test_a_pending_edit_is_discussed_by_its_proposer_and_stewards(member, steward) -> None:
    from solidaria.directory import services as directory

    org = directory.organisation_create(actor=member, data={"name": "Mill Co-op"})
    directory.organisation_review(actor=steward, org_id=org.pk, decision="confirm")
    org.refresh_from_db()
    directory.organisation_update(actor=member, org_id=org.pk, data={"description": "Flour"})
    edit = org.pending_edits.get()
    chen = make_member("chen")

    assert allowed(member, "discussion.comment.post", edit)
    assert allowed(steward, "discussion.comment.post", edit)
    assert not allowed(chen, "discussion.thread.read", edit)


def test_only_the_insiders_of_a_proposal_like_poll_have_a_thread(coop, steward, member) -> None:
    import datetime as dt

    from django.utils import timezone

    from solidaria.governance import services as gov

    election = gov.poll_create(
        actor=steward,
        coop=coop,
        kind="stv",
        title="Board",
        options=["A", "B", "C"],
        seats=1,
        closes_at=timezone.now() + dt.timedelta(days=1),
    )
    assert not allowed(member, "discussion.thread.read", election)
