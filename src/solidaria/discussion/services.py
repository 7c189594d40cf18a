"""Every write of the discussion app: one function per use case, one transaction each.

Posting is throttled per person (`core/throttle.py`, scope "discussion_post"): every
comment or message counts, and past the limit in the window the next one is refused
for a while. Replies, mentions and messages notify the people concerned through
`discussion.notify` inside the same transaction (the notifications app delivers after
commit). A conversation about an offer or a want ends in a payment request made by the
ledger's own services (`listings.listing_respond`, `payment_requests.request_create`).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from solidaria.accounts.models import User
from solidaria.core import audit, throttle
from solidaria.core.errors import Conflict, NotFound, TooManyAttempts, ValidationFailed
from solidaria.core.permissions import is_system_actor, require
from solidaria.discussion import mentions, notify, parents
from solidaria.discussion.models import (
    PARENT_FIELDS,
    Comment,
    CommentVersion,
    Conversation,
    Mention,
    Message,
    Report,
    Thread,
)

MAX_LENGTH = 5000
THROTTLE_SCOPE = "discussion_post"


def edit_window_seconds() -> int:
    return int(getattr(settings, "SOLIDARIA_DISCUSSION_EDIT_WINDOW", 15 * 60))


def _text(value: str, *, field: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(_("Write something first."), field=field)
    if len(text) > MAX_LENGTH:
        raise ValidationFailed(
            _("Keep it under %(count)d characters.") % {"count": MAX_LENGTH}, field=field
        )
    return text


def _throttle(actor: Any) -> None:
    """Refuse a post while `actor` is over the posting limit; otherwise count this one."""
    if is_system_actor(actor):
        return
    key = f"user:{actor.pk}"
    try:
        throttle.check(THROTTLE_SCOPE, key)
    except TooManyAttempts as exc:
        minutes = math.ceil(exc.retry_after / 60)
        raise TooManyAttempts(
            ngettext(
                "You are posting very quickly. Please wait %(minutes)d minute.",
                "You are posting very quickly. Please wait %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            retry_after=exc.retry_after,
            field="body",
        ) from None
    throttle.fail(THROTTLE_SCOPE, key)


def _user(actor: Any) -> Any:
    return None if is_system_actor(actor) else actor


# ---------------------------------------------------------------- threads and comments


def thread_of(parent: Any) -> Thread | None:
    field = dict(PARENT_FIELDS)[parents.kind_of(parent)]
    return Thread.objects.filter(**{field: parent}).first()


def _thread_for_writing(parent: Any) -> Thread:
    field = dict(PARENT_FIELDS)[parents.kind_of(parent)]
    thread, _made = Thread.objects.get_or_create(**{field: parent})
    return thread


def _locked_comment(comment: Comment | int) -> Comment:
    pk = comment.pk if isinstance(comment, Comment) else comment
    found = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("thread", "author")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such comment."))
    return found


def _context(parent: Any, comment: Comment, actor: Any) -> dict[str, Any]:
    from solidaria.discussion.queries import comment_url  # queries reads through services

    return {
        "subject": parents.title(parent),
        "url": comment_url(comment),
        "author": getattr(actor, "username", str(actor)),
        "excerpt": comment.body[:140],
    }


def _mention(actor: Any, comment: Comment, parent: Any, text: str) -> list[User]:
    """Record the people `text` mentions who may read the thread and were not mentioned
    in this comment before; return them (they are notified once per comment)."""
    names = mentions.usernames(text)
    if not names:
        return []
    already = set(Mention.objects.filter(comment=comment).values_list("user_id", flat=True))
    found = [
        user
        for user in User.objects.filter(username__in=names, is_active=True).order_by("pk")
        if user.pk not in already
        and user.pk != comment.author_id
        and parents.may_read(user, parent)
    ]
    Mention.objects.bulk_create([Mention(comment=comment, user=user) for user in found])
    return found


@transaction.atomic
def comment_post(
    *, actor: Any, parent: Any, body: str, reply_to: Comment | int | None = None
) -> Comment:
    """Post a comment on `parent`, or a reply. A reply to a reply joins the same top-level
    comment (one level of nesting). The people it names are told, the authors it answers,
    and the parent's owner (an offer's author, a project's proposer...), each once."""
    require(actor, "discussion.comment.post", parent)
    text = _text(body, field="body")
    thread = _thread_for_writing(parent)
    top: Comment | None = None
    if reply_to is not None:
        pk = reply_to.pk if isinstance(reply_to, Comment) else reply_to
        answered = Comment.objects.filter(pk=pk, thread=thread).first()
        if answered is None:
            raise ValidationFailed(_("That comment is not in this discussion."), field="reply_to")
        if answered.is_hidden:
            raise ValidationFailed(_("A hidden comment cannot be answered."), field="reply_to")
        top = answered.reply_to if answered.reply_to_id else answered
    else:
        answered = None
    _throttle(actor)
    comment = Comment.objects.create(
        thread=thread, reply_to=top, author=actor, body=text, created_at=timezone.now()
    )
    audit.record(
        actor=actor,
        verb="discussion.comment.post",
        obj=comment,
        data={"thread": thread.pk, "reply_to": top.pk if top else None},
    )
    named = _mention(actor, comment, parent, text)
    context = _context(parent, comment, actor)
    notify.send(
        notify.MENTION,
        named,
        actor=actor,
        target=comment,
        context=context,
        dedupe_key=f"discussion.comment:{comment.pk}:mention:{len(named)}",
    )
    told = {m.pk for m in named}
    if answered is not None and top is not None:
        answered_ids = {top.author_id, answered.author_id} - told
        notify.send(
            notify.REPLY,
            User.objects.filter(pk__in=answered_ids).order_by("pk"),
            actor=actor,
            target=comment,
            context=context,
            dedupe_key=f"discussion.comment:{comment.pk}:reply",
        )
        told |= answered_ids
    owner = parents.owner(parent)
    if owner is not None and owner.pk not in told and parents.may_read(owner, parent):
        notify.send(
            notify.COMMENTED,
            [owner],
            actor=actor,
            target=comment,
            context=context,
            dedupe_key=f"discussion.comment:{comment.pk}:owner",
        )
    return comment


@transaction.atomic
def comment_edit(*, actor: Any, comment: Comment | int, body: str) -> Comment:
    """The author changes their comment within the edit window; the old text is kept."""
    found = _locked_comment(comment)
    require(actor, "discussion.comment.edit", found)
    text = _text(body, field="body")
    if found.is_hidden:
        raise Conflict(_("A hidden comment cannot be edited."))
    window = edit_window_seconds()
    now = timezone.now()
    if (now - found.created_at).total_seconds() > window:
        minutes = max(1, window // 60)
        raise Conflict(
            ngettext(
                "A comment can be edited only in the first %(minutes)d minute after posting.",
                "A comment can be edited only in the first %(minutes)d minutes after posting.",
                minutes,
            )
            % {"minutes": minutes}
        )
    if text == found.body:
        return found
    CommentVersion.objects.create(
        comment=found,
        body=found.body,
        written_at=found.edited_at or found.created_at,
        replaced_at=now,
    )
    found.body = text
    found.edited_at = now
    found.save(update_fields=["body", "edited_at"])
    audit.record(actor=actor, verb="discussion.comment.edit", obj=found)
    parent = found.thread.parent
    named = _mention(actor, found, parent, text)
    notify.send(
        notify.MENTION,
        named,
        actor=actor,
        target=found,
        context=_context(parent, found, actor),
        dedupe_key=f"discussion.comment:{found.pk}:mention:{found.versions.count()}",
    )
    return found


def _resolve_open_reports(actor: Any, comment: Comment, status: str, note: str) -> int:
    return Report.objects.filter(comment=comment, status=Report.Status.OPEN).update(
        status=status, resolved_by=_user(actor), resolved_at=timezone.now(), resolution_note=note
    )


@transaction.atomic
def comment_hide(*, actor: Any, comment: Comment | int, reason: str) -> Comment:
    """A steward hides a comment, saying why; open reports on it are resolved."""
    found = _locked_comment(comment)
    require(actor, "discussion.comment.hide", found)
    why = _text(reason, field="reason")
    if found.is_hidden:
        return found
    found.is_hidden = True
    found.hidden_reason = why
    found.hidden_by = _user(actor)
    found.hidden_at = timezone.now()
    found.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    _resolve_open_reports(actor, found, Report.Status.HIDDEN, why)
    audit.record(actor=actor, verb="discussion.comment.hide", obj=found, reason=why)
    return found


@transaction.atomic
def comment_report(*, actor: Any, comment: Comment | int, reason: str) -> Report:
    """A member asks the stewards to look at a comment; reporting twice is one report."""
    found = _locked_comment(comment)
    require(actor, "discussion.comment.report", found)
    why = _text(reason, field="reason")
    if found.author_id == actor.pk:
        raise ValidationFailed(_("You cannot report your own comment."), field="reason")
    if found.is_hidden:
        raise Conflict(_("A steward has already hidden this comment."))
    existing = Report.objects.filter(
        comment=found, reporter=actor, status=Report.Status.OPEN
    ).first()
    if existing is not None:
        return existing
    report = Report.objects.create(comment=found, reporter=actor, reason=why)
    audit.record(actor=actor, verb="discussion.report.create", obj=report, reason=why)
    stewards = User.objects.filter(is_active=True).filter(
        Q(role=User.Role.STEWARD) | Q(is_superuser=True)
    )
    notify.send(
        notify.REPORT,
        stewards.order_by("pk"),
        actor=actor,
        target=report,
        context={
            "subject": parents.title(found.thread.parent),
            "author": actor.username,
            "url": reverse("discussion:reports"),
            "reason": why[:140],
        },
        dedupe_key=f"discussion.report:{report.pk}",
    )
    return report


@transaction.atomic
def report_resolve(*, actor: Any, report: Report | int, hide: bool, note: str = "") -> Report:
    """A steward decides a report: hide the comment (with the note as the reason, or the
    report's) or dismiss the report."""
    require(actor, "discussion.report.resolve", report)
    pk = report.pk if isinstance(report, Report) else report
    found = Report.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("There is no such report."))
    if found.status != Report.Status.OPEN:
        raise Conflict(_("This report was already decided."))
    note = (note or "").strip()
    if hide:
        comment_hide(actor=actor, comment=found.comment_id, reason=note or found.reason)
        found.refresh_from_db()
        return found
    found.status = Report.Status.DISMISSED
    found.resolved_by = _user(actor)
    found.resolved_at = timezone.now()
    found.resolution_note = note
    found.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
    audit.record(actor=actor, verb="discussion.report.dismiss", obj=found, reason=note)
    return found


# ---------------------------------------------------------------- private conversations


def _locked_conversation(conversation: Conversation | int) -> Conversation:
    pk = conversation.pk if isinstance(conversation, Conversation) else conversation
    found = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("listing", "listing__owner", "listing__currency", "member")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such conversation."))
    return found


def other_side(conversation: Conversation, actor: Any) -> User:
    owner = conversation.listing.owner
    return conversation.member if actor.pk == owner.pk else owner


def _add_message(
    actor: Any, conversation: Conversation, body: str, payment_request: Any = None
) -> Message:
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        author=actor,
        body=body,
        payment_request=payment_request,
        created_at=now,
    )
    conversation.last_message_at = now
    conversation.save(update_fields=["last_message_at"])
    audit.record(
        actor=actor,
        verb="discussion.message.send",
        obj=message,
        data={"conversation": conversation.pk, "request": getattr(payment_request, "pk", None)},
    )
    other = other_side(conversation, actor)
    if payment_request is not None and payment_request.payer.owner_id == other.pk:
        return message  # the ledger tells the payer of the request itself
    notify.send(
        notify.MESSAGE,
        [other],
        actor=actor,
        target=message,
        context={
            "subject": conversation.listing.title,
            "url": reverse("discussion:conversation", kwargs={"pk": conversation.pk}),
            "author": actor.username,
            "excerpt": body[:140],
        },
        dedupe_key=f"discussion.message:{message.pk}",
    )
    return message


@transaction.atomic
def conversation_start(*, actor: Any, listing: Any, body: str) -> Message:
    """An interested member writes privately to an offer's or a want's author (their
    conversation is made on the first message; later ones join it)."""
    require(actor, "discussion.conversation.open", listing)
    text = _text(body, field="body")
    conversation, _made = Conversation.objects.get_or_create(
        listing=listing, member=actor, defaults={"last_message_at": timezone.now()}
    )
    conversation = _locked_conversation(conversation)
    _throttle(actor)
    return _add_message(actor, conversation, text)


@transaction.atomic
def message_send(*, actor: Any, conversation: Conversation | int, body: str) -> Message:
    found = _locked_conversation(conversation)
    require(actor, "discussion.conversation.post", found)
    text = _text(body, field="body")
    _throttle(actor)
    return _add_message(actor, found, text)


def payee_of(conversation: Conversation) -> User:
    """Who is paid: an offer's author, or the member who answers a want."""
    listing = conversation.listing
    return listing.owner if listing.kind == listing.Kind.OFFER else conversation.member


@transaction.atomic
def payment_request_send(
    *,
    actor: Any,
    conversation: Conversation | int,
    amount: str | int | None = None,
    currency_code: str | None = None,
    memo: str = "",
) -> Message:
    """End the conversation with a payment request, made by the ledger's services: the
    interested member responds to the listing (`listing_respond`), an offer's author asks
    the member for payment (`request_create`). One open request per conversation."""
    from solidaria.ledger import listings, payment_requests, queries
    from solidaria.ledger.models import PaymentRequest

    found = _locked_conversation(conversation)
    require(actor, "discussion.conversation.post", found)
    listing = found.listing
    text = _text(memo, field="memo", required=False)
    open_request = Message.objects.filter(
        conversation=found, payment_request__status=PaymentRequest.Status.OPEN
    ).exists()
    if open_request:
        raise Conflict(_("A payment request of this conversation is still open."))
    try:
        if actor.pk == found.member_id:
            request = listings.listing_respond(
                actor=actor,
                listing=listing,
                amount=None if amount in (None, "") else str(amount),
                currency_code=currency_code or None,
                memo=text,
            )
        elif listing.kind == listing.Kind.OFFER:
            if not listing.is_active:
                raise ValidationFailed(_("this offer or want is closed"))
            currency = (
                queries.currency_by_code(currency_code) if currency_code else listing.currency
            )
            if currency is None:
                raise ValidationFailed(_("say which currency"), field="currency")
            if amount in (None, "") and (
                listing.price_minor is None or currency != listing.currency
            ):
                raise ValidationFailed(_("say how much"), field="amount")
            value = (
                listing.price_minor
                if amount in (None, "")
                else queries.resolve_amount(currency, amount=str(amount), amount_minor=None)
            )
            request = payment_requests.request_create(
                actor=actor,
                payee=queries.member_account(actor, currency, field="currency"),
                payer=queries.member_account(found.member, currency, field="currency"),
                amount_minor=value,
                memo=(text or listing.title)[:200],
                category=listing.category,
                listing=listing,
            )
        else:
            raise ValidationFailed(
                _("In a want, the member who answers it asks you for payment."), field="amount"
            )
    except NotFound as exc:  # a missing account or currency is for the form to say
        raise ValidationFailed(exc.message, field=exc.field or "currency") from None
    return _add_message(actor, found, text, payment_request=request)
