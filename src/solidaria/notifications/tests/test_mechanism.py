"""notify(): recorded in the caller's transaction, once per event and person, emailed once
after commit as each person chose, in their language, with a one-click unsubscribe."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail, signing
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from solidaria.accounts.factories import make_member
from solidaria.core.permissions import SYSTEM
from solidaria.notifications import kinds, services
from solidaria.notifications.models import Delivery, MailSettings, Notification, Preference

pytestmark = pytest.mark.django_db

PHASE = "budgeting.phase.changed"  # default: digest
PAID = "ledger.payment.received"  # default: at once


def _paid(actor: Any, recipients: list[Any], key: str = "transfer:1") -> int:
    return services.notify(
        PAID,
        recipients,
        actor=actor,
        context={"payer": str(actor), "amount": "12.50 SOL"},
        dedupe_key=key,
        url="/ledger/",
    )


def test_one_notification_per_recipient_and_none_for_the_actor(member, other_member, steward):
    # when
    count = _paid(member, [other_member, steward, member])
    # then
    assert count == 2
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "bo",
        "stew",
    ]
    row = Notification.objects.get(user=other_member)
    assert (row.kind, row.actor, row.url, row.read_at) == (PAID, member, "/ledger/", None)


def test_a_replayed_event_records_nothing_new(member, other_member):
    _paid(member, [other_member])
    _paid(member, [other_member])
    assert Notification.objects.count() == 1
    _paid(member, [other_member], key="transfer:2")
    assert Notification.objects.count() == 2


def test_rolled_back_with_the_callers_transaction(member, other_member):
    with pytest.raises(RuntimeError), transaction.atomic():
        _paid(member, [other_member])
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0


def test_an_unknown_kind_and_a_none_actor_are_programming_errors(member):
    with pytest.raises(KeyError):
        services.notify("nope.nothing", [member], actor=SYSTEM, context={}, dedupe_key="x")
    with pytest.raises(TypeError):
        services.notify(PAID, [member], actor=None, context={}, dedupe_key="x")


def test_emailed_once_after_commit_and_never_again(
    member, other_member, django_capture_on_commit_callbacks
):
    # given: bo wants payments emailed at once (the default)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _paid(member, [other_member])
        assert mail.outbox == []  # nothing before commit
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["bo@example.org"]]
    message = mail.outbox[0]
    assert "ada paid you 12.50 SOL." in message.body
    assert "http://127.0.0.1:8000/ledger/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    row = Notification.objects.get()
    assert row.sent_at is not None
    # when: the request is replayed and the task retried
    with django_capture_on_commit_callbacks(execute=True):
        _paid(member, [other_member])
    assert services.deliver(kind=PAID, dedupe_key="transfer:1", user_ids=[other_member.pk]) == 0
    assert services.email_one(row.pk) is False
    # then
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_and_then_sent_once(member, other_member, monkeypatch):
    _paid(member, [other_member])
    row = Notification.objects.get()

    def fail(self: Any, fail_silently: bool = False) -> int:
        raise ConnectionError("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", fail)
        with pytest.raises(ConnectionError):
            services.email_one(row.pk)
    row.refresh_from_db()
    assert row.sent_at is None  # the mark rolled back with the failed send
    assert services.email_one(row.pk) is True
    assert services.email_one(row.pk) is False
    assert len(mail.outbox) == 1


def test_no_email_when_the_person_chose_off_or_digest(
    member, other_member, steward, django_capture_on_commit_callbacks
):
    services.preferences_set(actor=other_member, deliveries={PAID: Delivery.OFF})
    services.preferences_set(actor=steward, deliveries={PAID: Delivery.DIGEST})
    with django_capture_on_commit_callbacks(execute=True):
        _paid(member, [other_member, steward])
    assert mail.outbox == []
    # the inbox still has them
    assert dict(Notification.objects.values_list("user__username", "delivery")) == {
        "bo": "off",
        "stew": "digest",
    }


def test_the_digest_gathers_unread_news_once(member, other_member):
    # given: two digest notifications for bo, one of them already read
    for step in ("review", "voting", "results"):
        services.notify(
            PHASE,
            [other_member],
            actor=SYSTEM,
            context={"process": "Park fund", "phase": step},
            dedupe_key=f"process:1:{step}",
        )
    services.mark_read(
        actor=other_member,
        notification_id=Notification.objects.get(dedupe_key="process:1:results").pk,
    )
    # when
    sent = services.send_digests()
    again = services.send_digests()
    # then
    assert (sent, again) == (1, 0)
    (message,) = mail.outbox
    assert message.to == ["bo@example.org"]
    assert "Park fund moved to its next phase: review." in message.body
    assert "Park fund moved to its next phase: voting." in message.body
    assert "results." not in message.body
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_a_digest_leaves_news_made_after_its_start_for_the_next_one(member, other_member):
    services.notify(
        PHASE,
        [other_member],
        actor=SYSTEM,
        context={"process": "P", "phase": "review"},
        dedupe_key="p:1",
    )
    earlier = timezone.now() - dt.timedelta(hours=1)
    assert services.send_digests(now=earlier) == 0
    assert services.send_digests() == 1


def test_email_in_the_recipients_language(member, django_capture_on_commit_callbacks):
    # given: a Spanish-speaking member and an English-speaking one
    lucia = make_member("lucia")
    MailSettings.objects.create(user=lucia, language="es")
    # when: a project of each is reviewed by an English-speaking steward's request
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        for person in (lucia, member):
            services.notify(
                "budgeting.project.reviewed",
                [person],
                actor=SYSTEM,
                context={"project": "Bench", "process": "Park fund", "status": "feasible"},
                dedupe_key=f"project:{person.pk}:reviewed",
            )
    # then: each email in its reader's language
    spanish, english = sorted(mail.outbox, key=lambda m: m.to[0] != "lucia@example.org")
    assert "viable" in spanish.body and "feasible" not in spanish.body
    assert "feasible" in english.body and "viable" not in english.body
    kind = kinds.get("budgeting.project.reviewed")
    with translation.override("es"):
        expected = str(kind.sentence) % {
            "project": "Bench",
            "process": "Park fund",
            "status": "viable",
        }
    assert expected in spanish.body


def test_one_click_unsubscribe_stops_that_kind_only(
    member, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _paid(member, [other_member])
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://127.0.0.1:8000")
    client = Client()
    # a GET (a link checker) only asks
    page = client.get(path)
    assert page.status_code == 200
    assert not Preference.objects.exists()
    # the mail client's one-click POST, without a session or CSRF token
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert services.deliveries_of(other_member)[PAID] == Delivery.OFF
    assert services.deliveries_of(other_member)["ledger.request.to_pay"] == Delivery.IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        _paid(member, [other_member], key="transfer:2")
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(user=other_member).count() == 2  # inbox keeps them


def test_a_forged_unsubscribe_link_is_not_found(other_member):
    forged = signing.dumps({"u": other_member.pk, "k": [PAID]}, salt="another-salt")
    assert Client().post(f"/notifications/unsubscribe/{forged}/").status_code == 404
    assert not Preference.objects.exists()


def test_preferences_refuse_unknown_kinds_and_deliveries(member):
    from solidaria.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.preferences_set(actor=member, deliveries={"nope": "off"})
    with pytest.raises(ValidationFailed):
        services.preferences_set(actor=member, deliveries={PAID: "weekly"})
    assert not Preference.objects.exists()


def test_every_kind_renders_in_every_language_without_its_context():
    from solidaria.notifications.render import sentence

    for code, kind in kinds.KINDS.items():
        for variant in ["", *kind.variants]:
            row = Notification(kind=code, context={"variant": variant} if variant else {})
            for language in ("en", "es", "bn"):
                with translation.override(language):
                    assert sentence(row), (code, variant, language)
