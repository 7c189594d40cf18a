"""Exactly once, as properties and under concurrency: any sequence of events with replays
leaves one notification per (person, kind, event) and sends one email per notification
wanted at once; two deliveries racing on PostgreSQL send one email."""

from __future__ import annotations

import pytest
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM
from solidaria.core.tests.concurrency import race_each
from solidaria.notifications import services
from solidaria.notifications.models import Delivery, Notification

KINDS = ["ledger.payment.received", "budgeting.phase.changed", "ledger.limits.changed"]

events = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(min_value=0, max_value=3),  # the event (its dedupe key)
        st.sets(st.integers(min_value=0, max_value=2), min_size=1),  # who is told
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=events)
def test_any_sequence_with_replays_notifies_and_emails_once(
    sequence, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    mail.outbox.clear()
    people = [
        User.objects.filter(username=f"p{i}").first() or make_member(f"p{i}") for i in range(3)
    ]
    # p1 wants payments in the digest: never emailed at once
    services.preferences_set(
        actor=people[1], deliveries={"ledger.payment.received": Delivery.DIGEST}
    )
    expected: set[tuple[int, str, str]] = set()
    for kind, event, who in sequence:
        recipients = [people[i] for i in sorted(who)]
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(
                kind,
                recipients,
                actor=SYSTEM,
                context={},
                dedupe_key=f"e{event}",
            )
        expected |= {(p.pk, kind, f"e{event}") for p in recipients}
    rows = set(Notification.objects.values_list("user_id", "kind", "dedupe_key"))
    assert rows == expected
    immediate = Notification.objects.filter(delivery=Delivery.IMMEDIATE)
    assert len(mail.outbox) == immediate.count()
    assert immediate.filter(sent_at__isnull=True).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_racing_send_one_email() -> None:
    # given one notification waiting for its email
    ada = make_member("ada")
    services.notify(
        "ledger.payment.received",
        [ada],
        actor=SYSTEM,
        context={"payer": "Bo", "amount": "1.00 SOL"},
        dedupe_key="race",
    )
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(sent_at=None)  # as if its task had not run
    mail.outbox.clear()
    # when four workers deliver it at once
    results = race_each(lambda _i: services.email_one(row.pk), workers=4)
    # then exactly one sent it
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_told_twice_at_once_is_stored_once() -> None:
    ada = make_member("ada")
    race_each(
        lambda _i: services.notify(
            "budgeting.phase.changed",
            [ada],
            actor=SYSTEM,
            context={"process": "P", "phase": "review"},
            dedupe_key="process:1:review",
        ),
        workers=4,
    )
    assert Notification.objects.filter(user=ada).count() == 1
