"""REST API of discussion: comment threads, moderation, reports, private conversations.

A thread is named by its parent: `kind` is one of project, poll, organisation, edit
(a pending directory edit) or listing (an offer or a want), `parent_id` its id. Reading
a thread needs no log-in when its parent is public. Bodies are plain text: clients
escape them; `mentions` lists the user names a comment names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from solidaria.core.api import TokenAuth, session_auth
from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound
from solidaria.core.permissions import is_steward, require
from solidaria.discussion import mentions, parents, queries, services
from solidaria.discussion.models import Comment, Conversation, Message, Report

router = Router(tags=["discussion"])


def _anyone(request: HttpRequest) -> bool:
    """Reading a public thread needs no credentials (a token or a session still count)."""
    return True


OPTIONAL_AUTH = [TokenAuth(), session_auth, _anyone]


class DiscussionError(Schema):
    detail: str
    field: str | None = None


READ_ERRORS: dict[int, Any] = {404: DiscussionError}
WRITE_ERRORS: dict[int, Any] = {
    401: DiscussionError,
    403: DiscussionError,
    404: DiscussionError,
    409: DiscussionError,
    422: DiscussionError,
    429: DiscussionError,
}
STEWARD_ERRORS: dict[int, Any] = {401: DiscussionError, 403: DiscussionError}


class DiscussionCommentOut(Schema):
    id: int
    kind: str
    parent_id: int
    reply_to: int | None
    author: str
    body: str | None
    mentions: list[str]
    is_hidden: bool
    hidden_reason: str
    created_at: dt.datetime
    edited_at: dt.datetime | None


class DiscussionCommentIn(Schema):
    body: str
    reply_to: int | None = None


class DiscussionEditIn(Schema):
    body: str


class DiscussionReasonIn(Schema):
    reason: str


class DiscussionReportOut(Schema):
    id: int
    comment_id: int
    reporter: str
    reason: str
    status: str
    created_at: dt.datetime


class DiscussionResolveIn(Schema):
    decision: Literal["hide", "dismiss"]
    note: str = ""


class DiscussionMessageIn(Schema):
    body: str


class DiscussionMessageOut(Schema):
    id: int
    conversation_id: int
    author: str
    body: str
    payment_request_id: int | None
    payment_request_status: str | None
    created_at: dt.datetime


class DiscussionConversationOut(Schema):
    id: int
    listing_id: int
    listing_title: str
    owner: str
    member: str
    last_message_at: dt.datetime


class DiscussionConversationDetailOut(DiscussionConversationOut):
    messages: list[DiscussionMessageOut]


class DiscussionPaymentRequestIn(Schema):
    amount: str | None = None
    currency: str | None = None
    memo: str = ""


def comment_out(user: Any, comment: Comment) -> dict[str, Any]:
    steward = is_steward(user)
    thread = comment.thread
    return {
        "id": comment.pk,
        "kind": thread.kind,
        "parent_id": thread.parent.pk,
        "reply_to": comment.reply_to_id,
        "author": comment.author.username,
        "body": None if comment.is_hidden and not steward else comment.body,
        "mentions": mentions.usernames(comment.body) if not comment.is_hidden or steward else [],
        "is_hidden": comment.is_hidden,
        "hidden_reason": comment.hidden_reason if steward else "",
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
    }


def report_out(report: Report) -> dict[str, Any]:
    return {
        "id": report.pk,
        "comment_id": report.comment_id,
        "reporter": report.reporter.username,
        "reason": report.reason,
        "status": report.status,
        "created_at": report.created_at,
    }


def message_out(message: Message) -> dict[str, Any]:
    request = message.payment_request
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "author": message.author.username,
        "body": message.body,
        "payment_request_id": request.pk if request else None,
        "payment_request_status": request.status if request else None,
        "created_at": message.created_at,
    }


def conversation_out(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "listing_id": conversation.listing_id,
        "listing_title": conversation.listing.title,
        "owner": conversation.listing.owner.username,
        "member": conversation.member.username,
        "last_message_at": conversation.last_message_at,
    }


def _kind(kind: str) -> str:
    if kind not in parents.KINDS:
        raise NotFound(_("There is nothing to discuss here."))
    return kind


# ---------------------------------------------------------------- threads


@router.get(
    "/threads/{kind}/{parent_id}/comments",
    response={200: list[DiscussionCommentOut], **READ_ERRORS},
    auth=OPTIONAL_AUTH,
    summary="One page of a thread: top-level comments, each followed by its replies",
)
def thread_comments(
    request: HttpRequest, kind: str, parent_id: int, page: int = 1
) -> list[dict[str, Any]]:
    parent = queries.readable_parent(request.user, _kind(kind), parent_id)
    data = queries.thread_page(request.user, parent, page)
    out = []
    for item in data["items"]:
        out.append(comment_out(request.user, item.comment))
        out += [comment_out(request.user, reply.comment) for reply in item.replies]
    return out


@router.post(
    "/threads/{kind}/{parent_id}/comments",
    response={201: DiscussionCommentOut, **WRITE_ERRORS},
    summary="Comment on a thread, or reply to a comment",
)
def comment_create(
    request: HttpRequest, kind: str, parent_id: int, payload: DiscussionCommentIn
) -> Status[dict[str, Any]]:
    parent = queries.readable_parent(request.user, _kind(kind), parent_id)
    comment = services.comment_post(
        actor=request.user, parent=parent, body=payload.body, reply_to=payload.reply_to
    )
    return Status(201, comment_out(request.user, comment))


@router.patch(
    "/comments/{comment_id}",
    response={200: DiscussionCommentOut, **WRITE_ERRORS},
    summary="Edit your comment (within the edit window; the old text is kept)",
)
def comment_edit(
    request: HttpRequest, comment_id: int, payload: DiscussionEditIn
) -> dict[str, Any]:
    comment = queries.readable_comment(request.user, comment_id)
    return comment_out(
        request.user, services.comment_edit(actor=request.user, comment=comment, body=payload.body)
    )


@router.post(
    "/comments/{comment_id}/hide",
    response={200: DiscussionCommentOut, **WRITE_ERRORS},
    summary="Hide a comment with a reason (network stewards)",
)
def comment_hide(
    request: HttpRequest, comment_id: int, payload: DiscussionReasonIn
) -> dict[str, Any]:
    comment = queries.readable_comment(request.user, comment_id)
    hidden = services.comment_hide(actor=request.user, comment=comment, reason=payload.reason)
    return comment_out(request.user, hidden)


@router.post(
    "/comments/{comment_id}/reports",
    response={201: DiscussionReportOut, **WRITE_ERRORS},
    summary="Report a comment to the stewards",
)
def comment_report(
    request: HttpRequest, comment_id: int, payload: DiscussionReasonIn
) -> Status[dict[str, Any]]:
    comment = queries.readable_comment(request.user, comment_id)
    report = services.comment_report(actor=request.user, comment=comment, reason=payload.reason)
    return Status(201, report_out(report))


@router.get(
    "/reports",
    response={200: list[DiscussionReportOut], **STEWARD_ERRORS},
    summary="Reports waiting for a steward (network stewards)",
)
def report_list(request: HttpRequest) -> list[dict[str, Any]]:
    require(request.user, "discussion.report.resolve")
    return [report_out(r) for r in queries.open_reports()[:500]]


@router.post(
    "/reports/{report_id}/resolve",
    response={200: DiscussionReportOut, **WRITE_ERRORS},
    summary="Decide a report: hide the comment or dismiss the report (network stewards)",
)
def report_resolve(
    request: HttpRequest, report_id: int, payload: DiscussionResolveIn
) -> dict[str, Any]:
    report = services.report_resolve(
        actor=request.user, report=report_id, hide=payload.decision == "hide", note=payload.note
    )
    return report_out(Report.objects.select_related("reporter").get(pk=report.pk))


# ---------------------------------------------------------------- conversations


@router.get(
    "/conversations",
    response={200: list[DiscussionConversationOut], 401: DiscussionError},
    summary="Your private conversations about offers and wants",
)
def conversation_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [conversation_out(c) for c in queries.conversations_of(request.user)[:500]]


@router.post(
    "/offers-wants/{listing_id}/messages",
    response={201: DiscussionMessageOut, **WRITE_ERRORS},
    summary="Write privately to an offer's or a want's author",
)
def conversation_start(
    request: HttpRequest, listing_id: int, payload: DiscussionMessageIn
) -> Status[dict[str, Any]]:
    from solidaria.ledger.listings import get_listing

    message = services.conversation_start(
        actor=request.user, listing=get_listing(listing_id), body=payload.body
    )
    return Status(201, message_out(message))


@router.get(
    "/conversations/{conversation_id}",
    response={200: DiscussionConversationDetailOut, 401: DiscussionError, 404: DiscussionError},
    summary="One conversation with its messages (its two sides only)",
)
def conversation_detail(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    found = queries.readable_conversation(request.user, conversation_id)
    return {
        **conversation_out(found),
        "messages": [message_out(m) for m in queries.messages_of(found)],
    }


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: DiscussionMessageOut, **WRITE_ERRORS},
    summary="Write in a conversation",
)
def message_create(
    request: HttpRequest, conversation_id: int, payload: DiscussionMessageIn
) -> Status[dict[str, Any]]:
    found = queries.readable_conversation(request.user, conversation_id)
    message = services.message_send(actor=request.user, conversation=found, body=payload.body)
    return Status(201, message_out(message))


@router.post(
    "/conversations/{conversation_id}/payment-request",
    response={201: DiscussionMessageOut, **WRITE_ERRORS},
    summary="End a conversation with a payment request (made by the ledger)",
)
def payment_request_create(
    request: HttpRequest, conversation_id: int, payload: DiscussionPaymentRequestIn
) -> Status[dict[str, Any]]:
    found = queries.readable_conversation(request.user, conversation_id)
    message = services.payment_request_send(
        actor=request.user,
        conversation=found,
        amount=payload.amount,
        currency_code=payload.currency,
        memo=payload.memo,
    )
    return Status(201, message_out(message))
