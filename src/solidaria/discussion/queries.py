"""Reads shared by the pages, the template tag and the API."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from solidaria.accounts.models import User
from solidaria.core.errors import NotFound
from solidaria.core.permissions import allowed, is_steward
from solidaria.discussion import mentions, parents, services
from solidaria.discussion.models import PARENT_FIELDS, Comment, Conversation, Message, Report

PAGE_SIZE = 20


@dataclass
class Shown:
    """A comment as one reader sees it: its text (None when hidden from them), whether a
    steward hid it and why (the reason only for stewards), and what the reader may do."""

    comment: Comment
    text: SafeString | None
    is_hidden: bool
    hidden_reason: str
    may_edit: bool
    may_report: bool
    may_hide: bool
    replies: list[Shown] = field(default_factory=list)


def person_url(username: str) -> str:
    return reverse("discussion:person", kwargs={"username": username})


def _links(comments: list[Comment]) -> dict[str, str]:
    names = {n for c in comments for n in mentions.usernames(c.body)}
    if not names:
        return {}
    known = User.objects.filter(username__in=names, is_active=True).values_list(
        "username", flat=True
    )
    return {name: person_url(name) for name in known}


def may_edit_now(user: Any, comment: Comment) -> bool:
    if comment.is_hidden or not allowed(user, "discussion.comment.edit", comment):
        return False
    age = (timezone.now() - comment.created_at).total_seconds()
    return age <= services.edit_window_seconds()


def shown(user: Any, comment: Comment, links: dict[str, str]) -> Shown:
    steward = is_steward(user)
    hidden = comment.is_hidden
    text = None if hidden and not steward else mentions.render(comment.body, links.get)
    person = getattr(user, "is_authenticated", False)
    return Shown(
        comment=comment,
        text=text,
        is_hidden=hidden,
        hidden_reason=comment.hidden_reason if steward else "",
        may_edit=bool(person) and may_edit_now(user, comment),
        may_report=bool(person)
        and not hidden
        and comment.author_id != user.pk
        and allowed(user, "discussion.comment.report", comment),
        may_hide=not hidden and allowed(user, "discussion.comment.hide", comment),
    )


def readable_parent(user: Any, kind: str, pk: int) -> Any:
    """The parent, or NotFound for someone who may not read its thread (no existence leak)."""
    parent = parents.load(kind, pk)
    if not allowed(user, "discussion.thread.read", parent):
        raise NotFound(_("There is nothing to discuss here."))
    return parent


def top_level(parent: Any) -> QuerySet[Comment]:
    field_name = dict(PARENT_FIELDS)[parents.kind_of(parent)]
    return Comment.objects.filter(
        **{f"thread__{field_name}": parent}, reply_to__isnull=True
    ).order_by("created_at", "id")


def count(parent: Any) -> int:
    field_name = dict(PARENT_FIELDS)[parents.kind_of(parent)]
    return Comment.objects.filter(**{f"thread__{field_name}": parent}).count()


def thread_page(user: Any, parent: Any, number: Any = 1) -> dict[str, Any]:
    """One page of top-level comments (oldest first) with all their replies."""
    page: Page = Paginator(
        top_level(parent).select_related("author", "thread"), PAGE_SIZE
    ).get_page(number)
    tops = list(page.object_list)
    replies = list(
        Comment.objects.filter(reply_to__in=tops)
        .select_related("author", "thread")
        .order_by("created_at", "id")
    )
    links = _links(tops + replies)
    by_top: dict[int, list[Shown]] = {}
    for reply in replies:
        by_top.setdefault(reply.reply_to_id, []).append(shown(user, reply, links))  # type: ignore[arg-type]
    items = []
    for comment in tops:
        item = shown(user, comment, links)
        item.replies = by_top.get(comment.pk, [])
        items.append(item)
    return {
        "parent": parent,
        "kind": parents.kind_of(parent),
        "title": parents.title(parent),
        "page": page,
        "items": items,
        "count": count(parent),
        "may_post": allowed(user, "discussion.comment.post", parent),
    }


def page_of(comment: Comment) -> int:
    """The page of its thread a comment (or its top-level comment) is on."""
    top_id = comment.reply_to_id or comment.pk
    before = Comment.objects.filter(
        thread_id=comment.thread_id, reply_to__isnull=True, id__lte=top_id
    ).count()
    return max(1, math.ceil(before / PAGE_SIZE))


def comment_url(comment: Comment) -> str:
    base = parents.url(comment.thread.parent)
    return f"{base}?comments={page_of(comment)}#comment-{comment.pk}"


def readable_comment(user: Any, pk: int) -> Comment:
    found = Comment.objects.select_related("thread", "author").filter(pk=pk).first()
    if found is None or not allowed(user, "discussion.thread.read", found.thread.parent):
        raise NotFound(_("There is no such comment."))
    return found


def open_reports() -> QuerySet[Report]:
    return (
        Report.objects.filter(status=Report.Status.OPEN)
        .select_related("comment", "comment__author", "comment__thread", "reporter")
        .order_by("created_at", "id")
    )


# ---------------------------------------------------------------- conversations


def conversations_of(user: Any) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(Q(member=user) | Q(listing__owner=user))
        .select_related("listing", "listing__owner", "member")
        .annotate(message_count=Count("messages"))
        .order_by("-last_message_at", "-id")
    )


def readable_conversation(user: Any, pk: int) -> Conversation:
    found = (
        Conversation.objects.select_related("listing", "listing__owner", "listing__currency")
        .select_related("member")
        .filter(pk=pk)
        .first()
    )
    if found is None or not allowed(user, "discussion.conversation.read", found):
        raise NotFound(_("There is no such conversation."))
    return found


def conversation_with(user: Any, listing: Any) -> Conversation | None:
    return Conversation.objects.filter(listing=listing, member=user).first()


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related(
        "author", "payment_request", "payment_request__currency"
    ).order_by("created_at", "id")
