"""A budgeting process manager runs their own process (pages and services) and no other."""

from __future__ import annotations

import pytest
from django.test import Client

from solidaria.accounts.models import User
from solidaria.budgeting import managers
from solidaria.budgeting import services as pb
from solidaria.budgeting.models import Phase, Process
from solidaria.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def _process(steward: User, title: str) -> Process:
    return pb.process_create(
        actor=steward, settings=pb.ProcessSettings(title=title, budget_minor=100)
    )


def test_a_manager_moves_their_process_and_not_another(
    member: User, steward: User, member_client: Client
) -> None:
    mine, other = _process(steward, "Park"), _process(steward, "School")
    managers.process_manager_grant(actor=steward, process=mine, user=member, reason="elected")
    assert member_client.post(f"/budgeting/{mine.slug}/advance/").status_code == 302
    mine.refresh_from_db()
    assert mine.phase == Phase.REVIEW
    assert member_client.post(f"/budgeting/{other.slug}/advance/").status_code == 403
    other.refresh_from_db()
    assert other.phase == Phase.SUBMISSION
    with pytest.raises(PermissionDenied):
        pb.phase_advance(actor=member, process=other)
    # the process page offers her the steward's controls of her process only
    assert "advance" in member_client.get(f"/budgeting/{mine.slug}/").content.decode()


def test_a_withdrawn_manager_is_refused(member: User, steward: User, member_client: Client) -> None:
    mine = _process(steward, "Park")
    managers.process_manager_grant(actor=steward, process=mine, user=member, reason="elected")
    managers.process_manager_revoke(actor=steward, process=mine, user=member, reason="term over")
    assert member_client.post(f"/budgeting/{mine.slug}/advance/").status_code == 403
    mine.refresh_from_db()
    assert mine.phase == Phase.SUBMISSION
