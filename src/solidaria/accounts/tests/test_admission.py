"""Sign-up is not membership: applicants, stewards' decisions, invitations, history."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from solidaria.accounts import queries, services
from solidaria.accounts.factories import make_applicant, make_member
from solidaria.accounts.models import Admission, AdmissionEvent, Invitation, User
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import is_member

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-safe-passphrase-42"


def _sign_up(client: Client, username: str, path: str = "/accounts/signup/", **extra: str):
    return client.post(
        path,
        {
            "username": username,
            "email": f"{username}@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **extra,
        },
        REMOTE_ADDR=extra.pop("addr", "10.0.0.1"),
    )


def test_a_new_sign_up_is_an_applicant_who_is_not_a_member(django_capture_on_commit_callbacks):
    # when a stranger signs up
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up(client, "newcomer")
    # then they are logged in as an applicant, with a history and a verification email
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.admission == Admission.APPLIED
    assert not is_member(user)
    assert list(user.admission_events.values_list("to_state", flat=True)) == ["applied"]
    assert len(mail.outbox) == 1 and "/accounts/verify/" in mail.outbox[0].body
    page = client.get("/accounts/profile/")
    assert b"applicant-notice" in page.content


def test_the_email_link_confirms_the_address(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, "newcomer")
    link = re.search(r"/accounts/verify/\S+/", mail.outbox[0].body)
    assert link is not None
    assert client.get(link.group(0)).status_code == 302
    assert User.objects.get(username="newcomer").email_verified_at is not None
    # a forged link is refused with a sentence
    bad = client.get("/accounts/verify/not-a-token/")
    assert bad.status_code == 400 and b"not valid" in bad.content


def test_a_steward_admits_an_applicant_with_history(steward: User, applicant: User) -> None:
    services.admission_decide(actor=steward, user_id=applicant.pk, decision="admit")
    applicant.refresh_from_db()
    assert applicant.admission == Admission.ADMITTED and is_member(applicant)
    last = queries.history(applicant).last()
    assert last is not None and last.actor == steward and last.from_state == "applied"
    assert AuditEvent.objects.filter(verb="accounts.member.admit", actor=steward).exists()


@pytest.mark.parametrize("decision", ["decline", "suspend"])
def test_declining_or_suspending_needs_a_reason(steward: User, decision: str) -> None:
    person = make_member("cy") if decision == "suspend" else make_applicant("cy")
    with pytest.raises(ValidationFailed):
        services.admission_decide(actor=steward, user_id=person.pk, decision=decision)
    person.refresh_from_db()
    assert person.admission in ("applied", "admitted")
    services.admission_decide(
        actor=steward, user_id=person.pk, decision=decision, reason="never answered"
    )
    person.refresh_from_db()
    assert person.admission == {"decline": "declined", "suspend": "suspended"}[decision]
    assert not is_member(person)


def test_an_unverified_applicant_is_admitted_only_with_a_reason(steward: User) -> None:
    person = User.objects.create_user(username="cy", email="cy@example.org", password="x")
    with pytest.raises(ValidationFailed):
        services.admission_decide(actor=steward, user_id=person.pk, decision="admit")
    services.admission_decide(
        actor=steward, user_id=person.pk, decision="admit", reason="known in person"
    )
    person.refresh_from_db()
    assert person.admission == Admission.ADMITTED


def test_a_member_cannot_admit_and_nothing_changes(member: User, applicant: User) -> None:
    with pytest.raises(PermissionDenied):
        services.admission_decide(actor=member, user_id=applicant.pk, decision="admit")
    applicant.refresh_from_db()
    assert applicant.admission == Admission.APPLIED
    assert applicant.admission_events.count() == 1


def test_a_decision_that_does_not_apply_is_a_conflict(steward: User, member: User) -> None:
    with pytest.raises(Conflict):
        services.admission_decide(actor=steward, user_id=member.pk, decision="decline", reason="x")


def test_an_invitation_admits_at_sign_up_once(member: User) -> None:
    # given an invitation from a member
    invitation, raw = services.invitation_create(actor=member, note="my neighbour")
    assert raw not in invitation.code_hash
    # when someone signs up with its link
    response = _sign_up(Client(), "neighbour", path=f"/accounts/invite/{raw}/")
    # then they are a member at once, and the history names the invitation
    assert response.status_code == 302
    neighbour = User.objects.get(username="neighbour")
    assert neighbour.admission == Admission.ADMITTED
    event = neighbour.admission_events.get(to_state="admitted")
    assert event.invitation_id == invitation.pk and event.actor == member
    # and the link does not work twice
    again = _sign_up(Client(), "second", path=f"/accounts/invite/{raw}/", addr="10.0.0.2")
    assert again.status_code == 422
    assert not User.objects.filter(username="second").exists()


def test_the_invitation_quota_is_enforced_and_set_by_stewards(member: User, steward: User):
    for _ in range(member.invitation_quota):
        services.invitation_create(actor=member)
    with pytest.raises(Conflict):
        services.invitation_create(actor=member)
    with pytest.raises(PermissionDenied):
        services.invitation_quota_set(actor=member, user_id=member.pk, quota=10)
    services.invitation_quota_set(actor=steward, user_id=member.pk, quota=4, reason="organiser")
    services.invitation_create(actor=member)
    assert Invitation.objects.filter(inviter=member).count() == 4


def test_applicants_cannot_invite_or_hold_tokens(applicant: User) -> None:
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=applicant)
    with pytest.raises(PermissionDenied):
        services.token_issue(actor=applicant, name="script")


def test_electorate_is_fixed_when_voting_opens(steward: User, applicant: User) -> None:
    # given a member now and an applicant admitted only after voting opened
    ada = make_member("ada2")
    opened = timezone.now()
    services.admission_decide(actor=steward, user_id=applicant.pk, decision="admit")
    # then the electorate at opening holds ada and the steward, not the late admission
    applicant.refresh_from_db()
    assert not queries.was_member_at(applicant, opened)
    assert queries.was_member_at(ada, opened) and queries.was_member_at(steward, opened)


def test_a_member_who_leaves_keeps_history(member: User) -> None:
    services.member_leave(actor=member, reason="moving away")
    member.refresh_from_db()
    assert member.admission == Admission.LEFT and not is_member(member)
    assert [e.to_state for e in AdmissionEvent.objects.filter(user=member)] == [
        "applied",
        "admitted",
        "left",
    ]


def test_admission_events_are_append_only(member: User) -> None:
    event = member.admission_events.first()
    event.reason = "rewritten"
    with pytest.raises(ValueError):
        event.save()


def test_sign_up_is_rate_limited_per_address(settings) -> None:
    settings.SOLIDARIA_THROTTLES = {**settings.SOLIDARIA_THROTTLES, "signup": (2, 3600)}
    assert _sign_up(Client(), "one", addr="10.9.9.9").status_code == 302
    assert _sign_up(Client(), "two", addr="10.9.9.9").status_code == 302
    refused = _sign_up(Client(), "three", addr="10.9.9.9")
    assert refused.status_code == 429 and b"Too many" in refused.content
    assert not User.objects.filter(username="three").exists()
    assert _sign_up(Client(), "four", addr="10.9.9.8").status_code == 302


def test_stewards_decide_in_the_web_ui(steward_client: Client, applicant: User) -> None:
    queue = steward_client.get("/accounts/people/")
    assert queue.status_code == 200 and applicant.username.encode() in queue.content
    response = steward_client.post(
        f"/accounts/people/{applicant.pk}/",
        {"decide-decision": "decline", "decide-reason": "we could not reach you"},
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.admission == Admission.DECLINED


def test_members_and_applicants_get_403_on_the_queue(member_client, applicant_client) -> None:
    assert member_client.get("/accounts/people/").status_code == 403
    assert applicant_client.get("/accounts/people/").status_code == 403


def test_admission_by_api(steward_token: str, applicant: User, member_token: str) -> None:
    refused = Client().post(
        f"/api/accounts/people/{applicant.pk}/admission",
        {"decision": "admit"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {member_token}"},
    )
    assert refused.status_code == 403
    response = Client().post(
        f"/api/accounts/people/{applicant.pk}/admission",
        {"decision": "admit"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {steward_token}"},
    )
    assert response.status_code == 200 and response.json()["admission"] == "admitted"


def test_an_applicant_edits_their_profile_and_a_new_email_is_confirmed_again(
    applicant_client: Client, applicant: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(
            "/accounts/profile/edit/",
            {"me-first_name": "Nia", "me-last_name": "Okafor", "me-email": "nia@example.org"},
        )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert (applicant.first_name, applicant.email) == ("Nia", "nia@example.org")
    assert applicant.email_verified_at is None
    assert mail.outbox[-1].to == ["nia@example.org"]


def test_an_email_used_by_another_account_is_refused(member: User, other_member: User) -> None:
    with pytest.raises(ValidationFailed):
        services.profile_update(
            actor=member, first_name="", last_name="", email=other_member.email.upper()
        )
    member.refresh_from_db()
    assert member.email == "ada@example.org"
