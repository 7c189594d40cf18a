"""Admin: stewards read threads, comments, reports and conversations here. Everything is
read-only (`ReadOnlyAdminMixin`): hiding a comment and deciding a report go through the
services (the pages under /discussion/reports/ or the API), so they are audited.
Private messages are not shown: only the two sides of a conversation read them."""

from __future__ import annotations

from django.contrib import admin

from solidaria.core.admin import ReadOnlyAdminMixin
from solidaria.discussion.models import Comment, CommentVersion, Conversation, Report


class ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Comment)
class CommentAdmin(ReadOnly):
    list_display = ["id", "thread", "author", "created_at", "edited_at", "is_hidden"]
    list_filter = ["is_hidden"]
    search_fields = ["body", "author__username"]


@admin.register(CommentVersion)
class CommentVersionAdmin(ReadOnly):
    list_display = ["comment", "written_at", "replaced_at"]


@admin.register(Report)
class ReportAdmin(ReadOnly):
    list_display = ["id", "comment", "reporter", "status", "created_at", "resolved_by"]
    list_filter = ["status"]


@admin.register(Conversation)
class ConversationAdmin(ReadOnly):
    list_display = ["id", "listing", "member", "last_message_at"]
