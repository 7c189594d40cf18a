"""Self-declared gender (optional, private, only counted anonymously) and the external
auditor role granted and withdrawn on a person's page."""

from __future__ import annotations

import pytest
from django.test import Client

from solidaria.accounts import roles, services
from solidaria.accounts.factories import make_member
from solidaria.accounts.models import Gender, User
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.indicators.assessments import is_external_auditor
from solidaria.indicators.models import ExternalAuditor

pytestmark = pytest.mark.django_db


def _profile(member: User, **extra: str) -> dict[str, str]:
    return {
        "me-first_name": "Ada",
        "me-last_name": "",
        "me-email": member.email,
        "me-languages": "",
        "me-bio": "",
        "me-skills": "",
        **extra,
    }


def test_gender_is_not_declared_until_the_person_says(member: User) -> None:
    assert member.gender == Gender.NOT_DECLARED == ""
    assert member.get_gender_display() == "not declared"


def test_a_person_declares_a_gender_only_they_see(
    member_client: Client, member: User, steward_client: Client
) -> None:
    page = member_client.get("/accounts/profile/").content.decode()
    assert "Used only for anonymous counts" in page
    response = member_client.post(
        "/accounts/profile/edit/",
        _profile(member, **{"me-gender": "another", "me-gender_other": "  two-spirit "}),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.gender, member.gender_other) == ("another", "two-spirit")
    assert "two-spirit" in member_client.get("/accounts/profile/").content.decode()
    other = Client()
    other.force_login(make_member("cy"))
    shown = other.get(f"/accounts/people/{member.pk}/").content.decode()
    assert "two-spirit" not in shown and "another identity" not in shown
    as_steward = steward_client.get(f"/accounts/people/{member.pk}/").content.decode()
    assert "two-spirit" not in as_steward and "another identity" not in as_steward
    event = AuditEvent.objects.filter(verb="accounts.profile.update").latest("id")
    assert "gender" in event.data["fields"]
    assert "two-spirit" not in str(event.data) and "another" not in str(event.data)


def test_own_words_are_kept_only_with_another_identity(member: User) -> None:
    services.profile_update(
        actor=member,
        first_name="",
        last_name="",
        email=member.email,
        gender="woman",
        gender_other="ignored",
    )
    member.refresh_from_db()
    assert (member.gender, member.gender_other) == ("woman", "")


def test_an_unknown_gender_or_long_words_are_refused(member: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(
            actor=member, first_name="", last_name="", email=member.email, gender="robot"
        )
    assert exc.value.field == "gender"
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(
            actor=member,
            first_name="",
            last_name="",
            email=member.email,
            gender="another",
            gender_other="x" * 41,
        )
    assert exc.value.field == "gender_other"


def test_the_own_profile_api_gives_the_declared_gender(member: User) -> None:
    services.profile_update(
        actor=member, first_name="", last_name="", email=member.email, gender="non_binary"
    )
    client = Client()
    client.force_login(member)
    body = client.get("/api/accounts/me").json()
    assert body["gender"] == "non_binary" and body["gender_other"] == ""


# ---------------------------------------------------------------- external auditors


def _change(client: Client, someone: User, action: str, reason: str = "audits ECG") -> int:
    return client.post(
        f"/accounts/people/{someone.pk}/",
        {"role-role": "auditor", "role-scope": "", "role-action": action, "role-reason": reason},
    ).status_code


def test_a_steward_grants_and_withdraws_the_auditor_role_with_a_reason(
    steward_client: Client, member: User, steward: User
) -> None:
    assert _change(steward_client, member, "grant") == 302
    assert is_external_auditor(member)
    page = steward_client.get(f"/accounts/people/{member.pk}/").content.decode()
    assert 'id="role-auditor"' in page
    assert roles.roles_of(member).is_external_auditor
    _change(steward_client, member, "revoke", reason="")  # no reason: refused, a message
    assert is_external_auditor(member)
    assert _change(steward_client, member, "revoke", reason="contract ended") == 302
    assert not is_external_auditor(member)
    row = ExternalAuditor.objects.get(user=member)
    assert row.withdrawn_at is not None  # kept, with when it ended
    event = AuditEvent.objects.get(verb="indicators.auditor.withdraw")
    assert event.reason == "contract ended"
    page = steward_client.get(f"/accounts/people/{member.pk}/").content.decode()
    assert 'id="role-auditor"' not in page
    assert _change(steward_client, member, "grant", reason="again") == 302  # a new term
    assert ExternalAuditor.objects.filter(user=member).count() == 2


def test_only_stewards_withdraw_and_only_a_held_role(
    member: User, other_member: User, steward: User
) -> None:
    with pytest.raises(Conflict):
        roles.external_auditor_withdraw(actor=steward, user=member, reason="why")
    roles.role_change(
        actor=steward, user=member, role="auditor", scope="", action="grant", reason="ECG"
    )
    with pytest.raises(PermissionDenied):
        roles.external_auditor_withdraw(actor=other_member, user=member, reason="why")
    with pytest.raises(ValidationFailed):
        roles.role_change(
            actor=steward, user=member, role="auditor", scope="", action="revoke", reason=" "
        )
    assert is_external_auditor(member)
