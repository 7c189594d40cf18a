"""The inbox, the header's unread count, marking read, and the preferences page."""

from __future__ import annotations

import pytest
from django.test import Client

from solidaria.core.permissions import SYSTEM
from solidaria.notifications import services
from solidaria.notifications.models import MailSettings, Notification

pytestmark = pytest.mark.django_db


def _tell(person, key: str) -> Notification:
    services.notify(
        "ledger.payment.received",
        [person],
        actor=SYSTEM,
        context={"payer": "Bo", "amount": "3 HOURS"},
        dedupe_key=key,
        url="/ledger/",
    )
    return Notification.objects.get(user=person, dedupe_key=key)


def test_the_header_says_how_many_are_unread(member, member_client):
    _tell(member, "a")
    _tell(member, "b")
    page = member_client.get("/").content.decode()
    assert 'aria-label="Inbox, 2 unread"' in page


def test_the_inbox_lists_sentences_and_marks_read(member, member_client, other_member):
    first = _tell(member, "a")
    _tell(member, "b")
    _tell(other_member, "c")
    page = member_client.get("/notifications/").content.decode()
    assert page.count("Bo paid you 3 HOURS.") == 2
    assert "You have 2 unread notifications." in page
    # when: she opens one
    response = member_client.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/ledger/"
    first.refresh_from_db()
    assert first.read_at is not None
    unread = member_client.get("/notifications/?show=unread").content.decode()
    assert unread.count("Bo paid you 3 HOURS.") == 1
    # when: all read
    member_client.post("/notifications/read-all/")
    assert Notification.objects.filter(user=member, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=other_member, read_at__isnull=True).count() == 1


def test_someone_elses_notification_is_not_found(member_client, other_member):
    theirs = _tell(other_member, "c")
    assert member_client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_stranger_is_sent_to_log_in():
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_an_applicant_has_an_inbox(applicant, applicant_client):
    _tell(applicant, "a")
    assert "Bo paid you 3 HOURS." in applicant_client.get("/notifications/").content.decode()


def test_preferences_page_saves_choices_and_language(member, member_client):
    page = member_client.get("/notifications/preferences/").content.decode()
    assert "Payment received" in page and "Daily email digest" in page
    data = {code: value for code, value in services.deliveries_of(member).items()}
    data["ledger.payment.received"] = "digest"
    data["language"] = "es"
    response = member_client.post("/notifications/preferences/", data)
    assert response.status_code == 302
    assert services.deliveries_of(member)["ledger.payment.received"] == "digest"
    assert MailSettings.objects.get(user=member).language == "es"


def test_preferences_page_refuses_an_unknown_choice(member, member_client):
    data = dict(services.deliveries_of(member), language="en")
    data["ledger.payment.received"] = "weekly"
    response = member_client.post("/notifications/preferences/", data)
    assert response.status_code == 200
    assert services.deliveries_of(member)["ledger.payment.received"] == "immediate"
