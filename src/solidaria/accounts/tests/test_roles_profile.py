"""Roles granted and withdrawn in the interface (with a reason, audited, on the person's
page) and the profile: languages, bio, skills, and the password changed while logged in."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from solidaria.accounts import roles, services
from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.budgeting import managers
from solidaria.budgeting import services as pb
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM, allowed
from solidaria.ledger import services as ledger
from solidaria.ledger.models import CurrencySteward

pytestmark = pytest.mark.django_db


def _verbs() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))


# ---------------------------------------------------------------- network stewards


def test_a_steward_names_another_and_the_last_one_cannot_go(
    member: User, steward: User, other_member: User
) -> None:
    with pytest.raises(PermissionDenied):
        roles.network_steward_set(
            actor=member, user_id=other_member.pk, is_steward=True, reason="x"
        )
    with pytest.raises(ValidationFailed):
        roles.network_steward_set(actor=steward, user_id=member.pk, is_steward=True, reason=" ")
    roles.network_steward_set(actor=steward, user_id=member.pk, is_steward=True, reason="elected")
    member.refresh_from_db()
    assert member.is_steward
    roles.network_steward_set(actor=member, user_id=steward.pk, is_steward=False, reason="term")
    with pytest.raises(Conflict):
        roles.network_steward_set(actor=member, user_id=member.pk, is_steward=False, reason="x")
    event = AuditEvent.objects.get(verb="accounts.steward.revoke")
    assert (event.reason, event.object_id) == ("term", str(steward.pk))


def test_the_person_page_grants_and_withdraws_roles(
    steward_client: Client, member: User, steward: User
) -> None:
    eur = ledger.currency_create(actor=SYSTEM, code="EUR", name="Euro")
    process = pb.process_create(
        actor=steward, settings=pb.ProcessSettings(title="Park fund", budget_minor=100)
    )
    url = f"/accounts/people/{member.pk}/"
    for role, scope in (
        ("network", ""),
        ("currency", f"currency:{eur.pk}"),
        ("process", f"process:{process.pk}"),
    ):
        response = steward_client.post(
            url,
            {"role-role": role, "role-scope": scope, "role-action": "grant", "role-reason": "vote"},
        )
        assert response.status_code == 302, role
    page = steward_client.get(url).content.decode()
    assert "Network steward" in page
    assert "Steward of the currency Euro (EUR)" in page
    assert "Manager of the budgeting process Park fund" in page
    assert CurrencySteward.objects.filter(currency=eur, user=member).exists()
    assert managers.is_process_manager(member, process)
    assert allowed(member, "budgeting.process.manage", process)
    steward_client.post(
        url,
        {
            "role-role": "process",
            "role-scope": f"process:{process.pk}",
            "role-action": "revoke",
            "role-reason": "done",
        },
    )
    assert not managers.is_process_manager(member, process)
    assert {
        "accounts.steward.grant",
        "ledger.currency.steward.add",
        "budgeting.manager.grant",
        "budgeting.manager.revoke",
    } <= set(_verbs())


def test_a_process_manager_manages_only_their_process(member: User, steward: User) -> None:
    mine = pb.process_create(actor=steward, settings=pb.ProcessSettings(title="A", budget_minor=1))
    other = pb.process_create(actor=steward, settings=pb.ProcessSettings(title="B", budget_minor=1))
    with pytest.raises(ValidationFailed):
        managers.process_manager_grant(actor=steward, process=mine, user=member, reason="")
    with pytest.raises(PermissionDenied):
        managers.process_manager_grant(actor=member, process=mine, user=member, reason="me")
    managers.process_manager_grant(actor=steward, process=mine, user=member, reason="runs it")
    assert allowed(member, "budgeting.process.manage", mine)
    assert not allowed(member, "budgeting.process.manage", other)
    assert not allowed(member, "budgeting.process.manage")


def test_members_see_a_persons_roles_but_only_stewards_change_them(
    member_client: Client, other_member: User, steward: User
) -> None:
    url = f"/accounts/people/{other_member.pk}/"
    page = member_client.get(url).content.decode()
    assert "No roles: a member of the network." in page
    assert other_member.email not in page  # stewards only
    response = member_client.post(
        url,
        {"role-role": "network", "role-scope": "", "role-action": "grant", "role-reason": "x"},
    )
    assert response.status_code == 403
    other_member.refresh_from_db()
    assert not other_member.is_steward


def test_an_applicant_cannot_read_a_persons_page(applicant_client: Client, member: User) -> None:
    assert applicant_client.get(f"/accounts/people/{member.pk}/").status_code == 403


# ---------------------------------------------------------------- profile


def test_a_person_edits_languages_bio_and_skills(member_client: Client, member: User) -> None:
    response = member_client.post(
        "/accounts/profile/edit/",
        {
            "me-first_name": "Ada",
            "me-last_name": "Lovelace",
            "me-email": member.email,
            "me-languages": "English, Español, english",
            "me-bio": "Baker and bike mechanic.",
            "me-skills": "bread, bike repair",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.languages == ["English", "Español"]
    assert member.skills == ["bread", "bike repair"]
    assert member.bio == "Baker and bike mechanic."
    assert member.email_verified_at is not None  # same email: still confirmed
    page = Client()
    page.force_login(make_member("cy"))
    shown = page.get(f"/accounts/people/{member.pk}/").content.decode()
    assert "Baker and bike mechanic." in shown and "bike repair" in shown
    event = AuditEvent.objects.get(verb="accounts.profile.update")
    assert event.data["fields"] == ["bio", "first_name", "languages", "last_name", "skills"]


def test_a_new_email_is_confirmed_again(member: User) -> None:
    services.profile_update(actor=member, first_name="", last_name="", email="new@example.org")
    member.refresh_from_db()
    assert member.email_verified_at is None


def test_too_many_skills_are_refused(member: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.profile_update(
            actor=member,
            first_name="",
            last_name="",
            email=member.email,
            skills=[f"skill {n}" for n in range(31)],
        )
    assert exc.value.field == "skills"


def test_the_password_is_changed_while_logged_in(member_client: Client, member: User) -> None:
    page = member_client.get("/accounts/password/").content.decode()
    assert "Change your password" in page
    wrong = member_client.post(
        "/accounts/password/",
        {
            "old_password": "nope",
            "new_password1": "Fresh-bread-42",
            "new_password2": "Fresh-bread-42",
        },
    )
    assert wrong.status_code == 200
    response = member_client.post(
        "/accounts/password/",
        {
            "old_password": "pw-ada-123!",
            "new_password1": "Fresh-bread-42",
            "new_password2": "Fresh-bread-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    member.refresh_from_db()
    assert member.check_password("Fresh-bread-42")
    assert member_client.get("/accounts/profile/").status_code == 200  # still logged in
    assert "accounts.password.change" in _verbs()
    assert mail.outbox == []
