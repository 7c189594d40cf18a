"""Background work: emailing notifications after commit, the daily digest, and telling
voters of a poll that closes within 24 hours.

Run the scheduled ones from cron or a worker: `solidaria notifications send-digests`
once a day, `solidaria notifications polls-closing` every hour or so (either may run
twice: nobody is told twice).
"""

from __future__ import annotations

from django_tasks import task

from solidaria.notifications import services


@task()
def deliver_notifications(*, kind: str, dedupe_key: str, user_ids: list[int]) -> int:
    """Email one event's notifications to those who want them at once."""
    return services.deliver(kind=kind, dedupe_key=dedupe_key, user_ids=user_ids)


@task()
def record_payment(*, transfer_id: int, actor_id: int | None) -> None:
    """Tell of a payment made on PostgreSQL's one-statement path (after it committed)."""
    from solidaria.notifications.events import payment_recorded

    payment_recorded(transfer_id=transfer_id, actor_id=actor_id)


@task()
def send_digests() -> int:
    return services.send_digests()


@task()
def notify_polls_closing() -> int:
    from solidaria.notifications.events import polls_closing_soon

    return polls_closing_soon()
