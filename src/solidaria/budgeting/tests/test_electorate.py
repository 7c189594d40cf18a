"""Members-only processes: the electorate is the admitted members when voting opened."""

from __future__ import annotations

import pytest

from solidaria.accounts import services as accounts
from solidaria.accounts.factories import make_applicant, make_member
from solidaria.budgeting import services
from solidaria.budgeting.models import Ballot, VoterReceipt
from solidaria.budgeting.tests.test_platform_services import make_voting
from solidaria.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def test_an_applicant_cannot_vote_and_nothing_is_stored(steward, member):
    process, _projects = make_voting(steward, member)
    stranger = make_applicant("stranger")
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=stranger, process=process, projects=["p1"])
    assert Ballot.objects.count() == 0 and VoterReceipt.objects.count() == 0


def test_a_person_admitted_after_voting_opened_cannot_vote(steward, member):
    # given a process whose voting opened before the applicant was admitted
    late = make_applicant("late")
    process, _projects = make_voting(steward, member)
    accounts.admission_decide(actor=steward, user_id=late.pk, decision="admit")
    late.refresh_from_db()
    # when they vote, then they are refused with the reason, and nothing is stored
    with pytest.raises(PermissionDenied) as refused:
        services.ballot_cast(actor=late, process=process, projects=["p1"])
    assert "when voting opened" in refused.value.message
    assert Ballot.objects.count() == 0
    # while a member from before the opening votes
    services.ballot_cast(actor=member, process=process, projects=["p1"])
    assert Ballot.objects.count() == 1


def test_a_member_suspended_after_voting_opened_cannot_vote(steward, member):
    process, _projects = make_voting(steward, member)
    bo = make_member("bo2")  # admitted after voting opened
    accounts.admission_decide(actor=steward, user_id=member.pk, decision="suspend", reason="x")
    member.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=member, process=process, projects=["p1"])
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=bo, process=process, projects=["p1"])
    assert Ballot.objects.count() == 0
