from __future__ import annotations

import pytest
from django.core.management import call_command

from solidaria.accounts.models import Admission, User
from solidaria.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_createsteward_makes_an_admitted_steward_once(capsys) -> None:
    call_command("createsteward", "rosa", "--email", "rosa@example.org", "--no-password")
    call_command("createsteward", "rosa", "--no-password")
    rosa = User.objects.get(username="rosa")
    assert rosa.is_steward and rosa.admission == Admission.ADMITTED
    assert rosa.email_verified_at is not None
    assert AuditEvent.objects.filter(verb="accounts.steward.create").count() == 2
    assert "rosa is a network steward" in capsys.readouterr().out


def test_createsteward_admits_an_existing_applicant(applicant) -> None:
    call_command("createsteward", applicant.username)
    applicant.refresh_from_db()
    assert applicant.is_steward and applicant.admission == Admission.ADMITTED
