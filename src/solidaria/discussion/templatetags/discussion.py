"""`{% discussion_thread obj %}`: an object's comment thread, in one line of its page.

`{% discussion_link obj %}` is the short form for a row of a table (a budgeting
project): a link to the thread's own page with the number of comments.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from solidaria.core.permissions import allowed, is_member
from solidaria.core.querybounds import page_number
from solidaria.discussion import parents, queries
from solidaria.discussion.forms import CommentForm

register = template.Library()


@register.inclusion_tag("discussion/_thread.html", takes_context=True)
def discussion_thread(context: template.Context, obj: Any) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    if not allowed(user, "discussion.thread.read", obj):
        return {"is_shown": False}
    data = queries.thread_page(user, obj, page_number(request, "comments"))
    kind = data["kind"]
    data.update(
        is_shown=True,
        request=request,
        user=user,
        csrf_token=context.get("csrf_token"),
        form=context.get("failed_form") or CommentForm(),
        post_url=reverse("discussion:comment_new", kwargs={"kind": kind, "pk": obj.pk}),
        anchor=f"discussion-{kind}-{obj.pk}",
    )
    if kind == "listing" and getattr(user, "is_authenticated", False):
        if user.pk == obj.owner_id:
            data["conversation_count"] = obj.conversations.count()
        elif is_member(user) and obj.is_active:
            data["may_message"] = True
    return data


@register.inclusion_tag("discussion/_link.html", takes_context=True)
def discussion_link(context: template.Context, obj: Any) -> dict[str, Any]:
    user = context["request"].user
    if not allowed(user, "discussion.thread.read", obj):
        return {"url": ""}
    kind = parents.kind_of(obj)
    return {
        "url": reverse("discussion:thread", kwargs={"kind": kind, "pk": obj.pk}),
        "count": queries.count(obj),
    }


@register.inclusion_tag("discussion/_queue_links.html", takes_context=True)
def discussion_queue_links(context: template.Context) -> dict[str, Any]:
    """For a member: their private conversations; for a steward: the reported comments."""
    user = context["request"].user
    member = is_member(user)
    return {
        "is_member": member,
        "conversation_count": queries.conversations_of(user).count() if member else 0,
        "report_count": queries.open_reports().count()
        if allowed(user, "discussion.report.resolve")
        else None,
    }
