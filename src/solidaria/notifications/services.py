"""Telling people what waits for them: the one `notify` every app calls, delivery by email
(at once or in the daily digest), the inbox's reads, and each person's choices.

A service calls `notify(...)` inside its own transaction, so a rolled-back change tells
nobody. After commit a task emails the notifications whose recipients want them at once;
`send_digests` (daily, `solidaria notifications send-digests`) emails the rest.

Exactly once: a notification is unique per (recipient, kind, dedupe key), so a replayed
request or a retried task records nothing new; an email is sent inside the transaction
that sets `sent_at` on rows that had none, so a retried or concurrent delivery finds
them taken and sends nothing (a failed send rolls the mark back and a retry sends it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.core.permissions import require
from solidaria.notifications import kinds, render
from solidaria.notifications.models import Delivery, MailSettings, Notification, Preference

UNSUBSCRIBE_SALT = "solidaria.notifications.unsubscribe"


def _plain(value: Any) -> Any:
    """Context values as JSON: lazy translations and datetimes become text."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _target_url(target: Any) -> str:
    get_url = getattr(target, "get_absolute_url", None)
    if callable(get_url):
        try:
            return str(get_url())
        except Exception:  # a target without a page of its own: the inbox has no link
            return ""
    return ""


def notify(
    kind: str,
    recipients: Iterable[Any],
    *,
    actor: Any,
    target: Any = None,
    context: Mapping[str, Any],
    dedupe_key: str,
    url: str = "",
    include_actor: bool = False,
) -> int:
    """Record one notification of `kind` per recipient in the caller's transaction and
    email it after commit as each recipient chose. Returns how many recipients there were.

    `context` fills the kind's placeholders (see `kinds.py`; `variant` picks a sentence).
    `dedupe_key` names the event (`"transfer:42"`): the same key never notifies the same
    person of the same kind twice. The actor is not told of their own act unless
    `include_actor` (an outcome their act only triggered); inactive people are not told
    at all. `url` links the notification (else the target's page).
    """
    if actor is None:
        raise TypeError("notify(actor=None): pass a user or core.permissions.SYSTEM")
    found = kinds.get(kind)
    acting_pk = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    people = {
        person.pk: person
        for person in recipients
        if person is not None and getattr(person, "pk", None) and person.is_active
    }
    if not include_actor:
        people.pop(acting_pk, None)
    if not people:
        return 0
    chosen = dict(
        Preference.objects.filter(user_id__in=people, kind=kind).values_list("user_id", "delivery")
    )
    meta = getattr(target, "_meta", None)
    values = {name: _plain(value) for name, value in context.items()}
    link = url or _target_url(target)
    rows = [
        Notification(
            user_id=pk,
            kind=kind,
            dedupe_key=dedupe_key,
            actor_id=acting_pk,
            target_type=meta.label_lower if meta is not None else "",
            target_id=str(target.pk) if meta is not None else "",
            url=link,
            context=values,
            delivery=chosen.get(pk, found.default),
        )
        for pk in sorted(people)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    at_once = [row.user_id for row in rows if row.delivery == Delivery.IMMEDIATE]
    if at_once:  # nobody else is emailed now: no task to run
        transaction.on_commit(partial(_enqueue_delivery, kind, dedupe_key, at_once))
    return len(people)


def _enqueue_delivery(kind: str, dedupe_key: str, user_ids: list[int]) -> None:
    from solidaria.notifications.tasks import deliver_notifications

    deliver_notifications.enqueue(kind=kind, dedupe_key=dedupe_key, user_ids=user_ids)


# ---------------------------------------------------------------- email


def public_url(path: str) -> str:
    return settings.SOLIDARIA["PUBLIC_URL"].rstrip("/") + path


def unsubscribe_token(user: Any, codes: Iterable[str]) -> str:
    return signing.dumps({"u": user.pk, "k": sorted(set(codes))}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user: Any, codes: Iterable[str]) -> str:
    token = unsubscribe_token(user, codes)
    return public_url(reverse("notifications:unsubscribe", args=[token]))


def _message(user: Any, *, subject: str, body: str, codes: Iterable[str]) -> EmailMessage:
    link = unsubscribe_url(user, codes)
    return EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def compose_email(notification: Notification) -> EmailMessage:
    """One notification's email, in its recipient's language."""
    user = notification.user
    with render.in_language(user):
        context = {
            "user": user,
            "network": settings.SOLIDARIA["NETWORK_NAME"],
            "sentence": render.sentence(notification),
            "link": public_url(notification.url) if notification.url else "",
            "inbox": public_url(reverse("notifications:inbox")),
            "preferences": public_url(reverse("notifications:preferences")),
            "kind_title": render.title(notification.kind),
            "unsubscribe": unsubscribe_url(user, [notification.kind]),
        }
        subject = f"{context['network']}: {context['kind_title']}"
        body = render_to_string("notifications/email/notification.txt", context)
    return _message(user, subject=subject, body=body, codes=[notification.kind])


def compose_digest(user: Any, notifications: list[Notification]) -> EmailMessage:
    codes = sorted({n.kind for n in notifications})
    with render.in_language(user):
        network = settings.SOLIDARIA["NETWORK_NAME"]
        context = {
            "user": user,
            "network": network,
            "items": [
                {
                    "sentence": render.sentence(n),
                    "when": n.created_at,
                    "link": public_url(n.url) if n.url else "",
                }
                for n in notifications
            ],
            "inbox": public_url(reverse("notifications:inbox")),
            "preferences": public_url(reverse("notifications:preferences")),
            "kinds": [
                {"title": render.title(code), "unsubscribe": unsubscribe_url(user, [code])}
                for code in codes
            ],
        }
        subject = _("%(network)s: your daily digest") % {"network": network}
        body = render_to_string("notifications/email/digest.txt", context)
    return _message(user, subject=subject, body=body, codes=codes)


def deliverable(user: Any) -> bool:
    """An active person with an address that can receive mail (`.invalid` is reserved
    for addresses that never can: the demo's people have them)."""
    address = (user.email or "").strip().lower()
    return bool(user.is_active and address and not address.endswith(".invalid"))


def email_one(notification_id: int) -> bool:
    """Email one notification unless it was handled already; True if an email went out."""
    with transaction.atomic():
        now = timezone.now()
        taken = Notification.objects.filter(
            pk=notification_id, delivery=Delivery.IMMEDIATE, sent_at__isnull=True
        ).update(sent_at=now)
        if not taken:
            return False
        notification = Notification.objects.select_related("user").get(pk=notification_id)
        if not deliverable(notification.user):
            return False
        compose_email(notification).send()
    return True


def deliver(*, kind: str, dedupe_key: str, user_ids: Iterable[int]) -> int:
    """Email the event's notifications their recipients want at once; returns how many."""
    pending = Notification.objects.filter(
        kind=kind,
        dedupe_key=dedupe_key,
        user_id__in=list(user_ids),
        delivery=Delivery.IMMEDIATE,
        sent_at__isnull=True,
    ).values_list("pk", flat=True)
    return sum(email_one(pk) for pk in sorted(pending))


def send_digest(user_id: int, *, now: dt.datetime) -> bool:
    """One person's digest of what they have not read yet; True if an email went out."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(
                user_id=user_id,
                delivery=Delivery.DIGEST,
                sent_at__isnull=True,
                created_at__lte=now,
            )
            .order_by("created_at", "id")
        )
        taken = Notification.objects.filter(
            pk__in=[n.pk for n in rows], sent_at__isnull=True
        ).update(sent_at=now)
        if not rows or taken != len(rows):
            if taken:  # another run took some of them meanwhile: leave them all to it
                transaction.set_rollback(True)
            return False
        user = rows[0].user
        unread = [n for n in rows if n.read_at is None]
        if not unread or not deliverable(user):
            return False
        compose_digest(user, unread).send()
    return True


def send_digests(*, now: dt.datetime | None = None) -> int:
    """Send every person their digest of unread notifications waiting for one; returns how
    many emails went out. Run it daily (`solidaria notifications send-digests`)."""
    now = now or timezone.now()
    user_ids = (
        Notification.objects.filter(
            delivery=Delivery.DIGEST, sent_at__isnull=True, created_at__lte=now
        )
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    return sum(send_digest(user_id, now=now) for user_id in list(user_ids))


# ---------------------------------------------------------------- the inbox


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_read(*, actor: Any, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (someone else's is not found)."""
    require(actor, "notifications.inbox.use")
    with transaction.atomic():
        notification = Notification.objects.filter(user_id=actor.pk, pk=notification_id).first()
        if notification is None:
            raise NotFound(_("There is no such notification in your inbox."))
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, actor: Any) -> int:
    require(actor, "notifications.inbox.use")
    return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# ---------------------------------------------------------------- choices


def deliveries_of(user: Any) -> dict[str, str]:
    """Every kind's delivery for `user`: their choice, else the kind's default."""
    chosen = dict(Preference.objects.filter(user_id=user.pk).values_list("kind", "delivery"))
    return {code: chosen.get(code, kind.default) for code, kind in kinds.KINDS.items()}


def preferences_set(
    *, actor: Any, deliveries: Mapping[str, str], language: str | None = None
) -> dict[str, str]:
    """Store the actor's delivery per kind (and the language of their emails)."""
    require(actor, "notifications.preferences.edit")
    unknown = [code for code in deliveries if code not in kinds.KINDS]
    if unknown:
        raise ValidationFailed(_("Unknown kind of notification: %(kind)s") % {"kind": unknown[0]})
    if any(value not in Delivery.values for value in deliveries.values()):
        raise ValidationFailed(_("Choose at once, daily digest or no email."))
    if language is not None and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationFailed(_("Choose one of the languages offered."), field="language")
    with transaction.atomic():
        before = deliveries_of(actor)
        changed = {code: value for code, value in deliveries.items() if before[code] != value}
        for code, value in sorted(changed.items()):
            Preference.objects.update_or_create(
                user_id=actor.pk, kind=code, defaults={"delivery": value}
            )
        if language is not None:
            MailSettings.objects.update_or_create(user_id=actor.pk, defaults={"language": language})
        if changed or language is not None:
            audit.record(
                actor=actor,
                verb="notifications.preferences.set",
                obj=actor,
                data={"deliveries": changed, "language": language},
            )
    return deliveries_of(actor)


def unsubscribe_read(token: str) -> tuple[Any, list[str]]:
    """The person and kinds an unsubscribe link names; NotFound for a forged link."""
    from solidaria.accounts.models import User

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise NotFound(_("This unsubscribe link is not valid.")) from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    codes = [code for code in data.get("k", []) if code in kinds.KINDS]
    if user is None or not codes:
        raise NotFound(_("This unsubscribe link is not valid."))
    return user, codes


def unsubscribe(*, token: str) -> tuple[Any, list[str]]:
    """One click from an email: no more email of the link's kinds (the inbox keeps them).
    The signed link is the permission: whoever holds it may stop those emails."""
    user, codes = unsubscribe_read(token)
    with transaction.atomic():
        for code in codes:
            Preference.objects.update_or_create(
                user_id=user.pk, kind=code, defaults={"delivery": Delivery.OFF}
            )
        Notification.objects.filter(user_id=user.pk, kind__in=codes, sent_at__isnull=True).update(
            delivery=Delivery.OFF
        )
        audit.record(
            actor=user, verb="notifications.email.unsubscribe", obj=user, data={"kinds": codes}
        )
    return user, codes
