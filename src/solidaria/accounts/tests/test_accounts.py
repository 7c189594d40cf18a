from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from solidaria.accounts.models import ApiToken, User
from solidaria.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_sign_up_creates_an_applicant_and_logs_in() -> None:
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "email": "n@example.org",
            "password1": "a-long-safe-passphrase-42",
            "password2": "a-long-safe-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.role == User.Role.MEMBER
    assert user.admission == "applied"
    assert not user.is_steward and not user.is_admitted
    assert AuditEvent.objects.filter(
        verb="accounts.member.sign_up", object_id=str(user.pk)
    ).exists()
    assert client.get("/accounts/profile/").status_code == 200


def test_sign_up_with_mismatched_passwords_stores_nothing() -> None:
    response = Client().post(
        "/accounts/signup/",
        {"username": "x", "email": "x@example.org", "password1": "abc-def-123!", "password2": "z"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="x").exists()


def test_api_token_authenticates_and_only_its_hash_is_stored(member: User) -> None:
    token, raw = ApiToken.issue(user=member, name="laptop")
    assert raw not in token.token_hash
    response = Client().get("/api/accounts/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json() == {
        "id": member.pk,
        "username": "ada",
        "role": "member",
        "is_steward": False,
        "admission": "admitted",
        "is_member": True,
        "email_verified": True,
        "gender": "",
        "gender_other": "",
    }


def test_a_tokens_last_use_is_kept_to_the_minute(member: User) -> None:
    # given a token used once
    token, raw = ApiToken.issue(user=member, name="script")
    headers = {"Authorization": f"Bearer {raw}"}
    Client().get("/api/accounts/me", headers=headers)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    # when it is used again within the minute, then a minute later
    Client().get("/api/accounts/me", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    Client().get("/api/accounts/me", headers=headers)
    token.refresh_from_db()
    # then only the later use is written
    assert token.last_used_at is not None and token.last_used_at > first


def test_api_rejects_a_wrong_or_revoked_token(member: User) -> None:
    token, raw = ApiToken.issue(user=member, name="laptop")
    assert (
        Client().get("/api/accounts/me", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    token.is_active = False
    token.save()
    response = Client().get("/api/accounts/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_profile_page_issues_and_revokes_tokens(member_client: Client, member: User) -> None:
    response = member_client.post("/accounts/profile/", {"name": "script"})
    assert b"sol_" in response.content
    token = member.api_tokens.get()
    member_client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.is_active is False


def test_a_member_cannot_revoke_someone_elses_token(
    member_client: Client, other_member: User
) -> None:
    token, _raw = ApiToken.issue(user=other_member, name="theirs")
    member_client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.is_active is True


def test_stranger_is_sent_to_login_and_members_cannot_open_admin(member_client: Client) -> None:
    assert Client().get("/accounts/profile/").status_code == 302
    assert member_client.get("/admin/").status_code == 302


def test_openapi_schema_and_docs_are_served() -> None:
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Solidaria API"
    assert Client().get("/api/docs").status_code == 200


def test_password_reset_page_sends_mail(member: User, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    response = Client().post("/accounts/password-reset/", {"email": "ada@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "ada" in mailoutbox[0].body
