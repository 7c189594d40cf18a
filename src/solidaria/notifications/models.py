"""What people are told: notifications, their choices per kind, the language of their emails.

A notification is stored once per (recipient, kind, dedupe key): the unique constraint
makes a replayed request or a retried task add nothing. Its text is not stored: the
kind's sentence is rendered with `context` in the reader's language when it is read.
Every notification reaches the inbox; the person's choice per kind (`Preference`) says
whether it is also emailed at once, in the daily digest, or not at all. `sent_at` is set
in the same transaction that sends the email, so an email goes out once (see
`services.email_one`); it is also set when there is nothing to send (no email address,
already read before the digest), so the job never looks at that row again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("Email at once")
    DIGEST = "digest", _("Daily email digest")
    OFF = "off", _("No email (inbox only)")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=64)
    dedupe_key = models.CharField(max_length=128)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True)
    delivery = models.CharField(max_length=16, choices=Delivery, default=Delivery.IMMEDIATE)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    sent_at = models.DateTimeField(_("email handled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "dedupe_key"], name="notification_once_per_event"
            )
        ]
        indexes = [
            # the header's unread count and the inbox
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            # the digest job: what is still to be emailed
            models.Index(fields=["delivery", "sent_at"], name="notification_to_email"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} ({self.dedupe_key})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """A person's choice for one kind; without a row the kind's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class MailSettings(models.Model):
    """The language a person's emails are written in (their pages follow the browser or
    the language switcher; an email has no request to follow)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_settings"
    )
    language = models.CharField(_("language of emails"), max_length=8, choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
