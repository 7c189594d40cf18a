"""Comment threads on the things members decide about, and private messages about an
offer or a want.

A thread points at its parent with one explicit nullable foreign key per kind of parent
(budgeting project, poll, organisation under review, pending directory edit, offer or
want) and a CHECK that exactly one is set, rather than a generic relation: the database
then guarantees that a thread's parent exists (no dangling content-type ids), each
parent has at most one thread (a unique constraint per column), deleting a parent is
decided per kind by `on_delete`, and a query joins the parent like any other relation.
The price, one column and one constraint per new kind of parent, is small: the kinds
are few and each needs its own visibility rule anyway (`discussion/parents.py`).

Comments change in two ways only, both kept: an edit (the previous text is saved as an
append-only `CommentVersion`) and a steward's hiding (who, when and why). Messages
between the two sides of an offer or want are append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import AppendOnly

USER = settings.AUTH_USER_MODEL

# (kind, field): the kinds of parent a thread can have, in the order of the columns.
PARENT_FIELDS = (
    ("project", "project"),
    ("poll", "poll"),
    ("organisation", "organisation"),
    ("edit", "pending_edit"),
    ("listing", "listing"),
)


def _exactly_one_parent() -> Q:
    options = []
    for _kind, field in PARENT_FIELDS:
        others = {f"{f}__isnull": True for _k, f in PARENT_FIELDS if f != field}
        options.append(Q(**{f"{field}__isnull": False}, **others))
    condition = options[0]
    for option in options[1:]:
        condition |= option
    return condition


class Thread(models.Model):
    """The comments on one parent; made when its first comment is posted."""

    project = models.OneToOneField(
        "budgeting.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="thread"
    )
    poll = models.OneToOneField(
        "governance.Poll", null=True, blank=True, on_delete=models.PROTECT, related_name="thread"
    )
    organisation = models.OneToOneField(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="thread",
    )
    pending_edit = models.OneToOneField(
        "directory.PendingEdit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="thread",
    )
    listing = models.OneToOneField(
        "ledger.Listing", null=True, blank=True, on_delete=models.PROTECT, related_name="thread"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_parent(), name="discussion_thread_one_parent"
            )
        ]

    def __str__(self) -> str:
        return f"thread {self.pk} on {self.kind}"

    @property
    def kind(self) -> str:
        for kind, field in PARENT_FIELDS:
            if getattr(self, f"{field}_id") is not None:
                return kind
        raise ValueError("a thread without a parent")

    @property
    def parent(self) -> models.Model:
        return getattr(self, dict(PARENT_FIELDS)[self.kind])


class Comment(models.Model):
    """One comment, or a reply to a top-level comment (one level of nesting)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.TextField(_("why it was hidden"), blank=True)
    hidden_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "reply_to", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_hidden=False) | ~Q(hidden_reason=""),
                name="discussion_hidden_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author_id}"


class CommentVersion(AppendOnly):
    """The text a comment had before an edit."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="versions")
    body = models.TextField()
    written_at = models.DateTimeField(help_text=_("when this text was written"))
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["comment", "id"]


class Mention(AppendOnly):
    """A person named with @username in a comment; they are notified once per comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="discussion_mention_once")
        ]


class Report(models.Model):
    """A member tells the stewards that a comment breaks the network's rules."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a steward")
        HIDDEN = "hidden", _("comment hidden")
        DISMISSED = "dismissed", _("dismissed")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(status="open"),
                name="discussion_one_open_report_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"report {self.pk} on comment {self.comment_id}"


class Conversation(models.Model):
    """Private messages between an offer's or a want's author and one interested member."""

    listing = models.ForeignKey(
        "ledger.Listing", on_delete=models.PROTECT, related_name="conversations"
    )
    member = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "member"], name="discussion_one_conversation_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} on listing {self.listing_id}"


class Message(AppendOnly):
    """One message of a conversation; the last one may carry the payment request."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), blank=True)
    payment_request = models.OneToOneField(
        "ledger.PaymentRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discussion_message",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(body="") | Q(payment_request__isnull=False),
                name="discussion_message_not_empty",
            )
        ]
