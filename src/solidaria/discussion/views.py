"""Discussion pages. Thin: parse the form, call a service or a query, render. A refusal
(PermissionDenied, NotFound) is left to core.middleware (403 / 404 pages); the errors a
person can correct come back on the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.accounts.models import User
from solidaria.core.errors import CORRECTABLE, NotFound, show_on_form
from solidaria.core.permissions import is_member, member_required, require, steward_required
from solidaria.discussion import forms, parents, queries, services
from solidaria.discussion.models import Report


def thread(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A thread on a page of its own (a budgeting project's, or any thread's permalink)."""
    parent = queries.readable_parent(request.user, kind, pk)
    return render(
        request,
        "discussion/thread.html",
        {
            "parent": parent,
            "kind_label": parents.kind_label(kind),
            "title": parents.title(parent),
            "parent_url": parents.url(parent) if kind != "project" else "",
        },
    )


@login_required
@require_POST
def comment_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    parent = queries.readable_parent(request.user, kind, pk)
    require(request.user, "discussion.comment.post", parent)
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.comment_post(
                actor=request.user,
                parent=parent,
                body=form.cleaned_data["body"],
                reply_to=form.cleaned_data["reply_to"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Your comment is posted."))
            return redirect(queries.comment_url(comment))
    return render(
        request,
        "discussion/thread.html",
        {
            "parent": parent,
            "kind_label": parents.kind_label(kind),
            "title": parents.title(parent),
            "parent_url": parents.url(parent) if kind != "project" else "",
            "failed_form": form,
        },
        status=422,
    )


@login_required
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    comment = queries.readable_comment(request.user, pk)
    require(request.user, "discussion.comment.edit", comment)
    form = forms.EditForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                actor=request.user, comment=comment, body=form.cleaned_data["body"]
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Your comment is changed."))
            return redirect(queries.comment_url(comment))
    elif request.method != "POST" and not queries.may_edit_now(request.user, comment):
        messages.info(request, _("This comment can no longer be edited."))
    return render(
        request,
        "discussion/comment_form.html",
        {"form": form, "comment": comment, "action": "edit", "back": queries.comment_url(comment)},
    )


def _reason_action(
    request: HttpRequest, comment: Any, action: str, service: Any, done: str
) -> HttpResponse:
    """The form behind hiding and reporting a comment: a reason, the service, back to it."""
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, comment=comment, reason=form.cleaned_data["reason"])
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, done)
            return redirect(queries.comment_url(comment))
    return render(
        request,
        "discussion/comment_form.html",
        {"form": form, "comment": comment, "action": action, "back": queries.comment_url(comment)},
    )


@steward_required
def comment_hide(request: HttpRequest, pk: int) -> HttpResponse:
    comment = queries.readable_comment(request.user, pk)
    return _reason_action(
        request, comment, "hide", services.comment_hide, _("The comment is hidden.")
    )


@member_required
def comment_report(request: HttpRequest, pk: int) -> HttpResponse:
    comment = queries.readable_comment(request.user, pk)
    require(request.user, "discussion.comment.report", comment)
    return _reason_action(
        request,
        comment,
        "report",
        services.comment_report,
        _("Thank you: the stewards will look at this comment."),
    )


@steward_required
def reports(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "report": report,
            "shown": queries.shown(request.user, report.comment, {}),
            "where": parents.title(report.comment.thread.parent),
            "url": queries.comment_url(report.comment),
        }
        for report in queries.open_reports()[:100]
    ]
    return render(request, "discussion/reports.html", {"rows": rows})


@steward_required
@require_POST
def report_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.ResolveForm(request.POST)
    report = Report.objects.filter(pk=pk).first()
    if report is None:
        raise NotFound(_("There is no such report."))
    if form.is_valid():
        try:
            services.report_resolve(
                actor=request.user,
                report=report,
                hide=form.cleaned_data["decision"] == "hide",
                note=form.cleaned_data["note"],
            )
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The report is decided."))
    else:
        messages.error(request, _("Choose whether to hide the comment or keep it."))
    return redirect("discussion:reports")


def person(request: HttpRequest, username: str) -> HttpResponse:
    """Where a mention leads: the person's user name and open offers and wants (which are
    public anyway); their full name only for members of the network."""
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise NotFound(_("There is nobody called %(name)s.") % {"name": username})
    listings = found.ledger_listings.filter(is_active=True).order_by("-created_at")[:20]
    return render(
        request,
        "discussion/person.html",
        {"person": found, "listings": listings, "shows_name": is_member(request.user)},
    )


# ---------------------------------------------------------------- private conversations


@member_required
def conversations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "discussion/conversations.html",
        {"conversations": queries.conversations_of(request.user)[:100]},
    )


@member_required
def listing_conversation(request: HttpRequest, listing_id: int) -> HttpResponse:
    """Write privately to an offer's or a want's author: the first message starts the
    conversation, later ones join it."""
    from solidaria.ledger.listings import get_listing

    listing = get_listing(listing_id)
    existing = queries.conversation_with(request.user, listing)
    if existing is not None:
        return redirect("discussion:conversation", pk=existing.pk)
    if listing.owner_id == request.user.pk:
        return redirect("discussion:conversations")
    require(request.user, "discussion.conversation.open", listing)
    form = forms.MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.conversation_start(
                actor=request.user, listing=listing, body=form.cleaned_data["body"]
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Your message is sent."))
            return redirect("discussion:conversation", pk=message.conversation_id)
    return render(request, "discussion/conversation_start.html", {"listing": listing, "form": form})


def _conversation_page(
    request: HttpRequest, conversation: Any, form: Any = None, pay_form: Any = None
) -> HttpResponse:
    payee = services.payee_of(conversation)
    may_ask = request.user.pk in (conversation.member_id, payee.pk)
    return render(
        request,
        "discussion/conversation.html",
        {
            "conversation": conversation,
            "listing": conversation.listing,
            "other": services.other_side(conversation, request.user),
            "messages_list": queries.messages_of(conversation),
            "form": form or forms.MessageForm(),
            "pay_form": pay_form or forms.PaymentRequestForm(),
            "may_ask": may_ask and conversation.listing.is_active,
            "is_payee": request.user.pk == payee.pk,
        },
        status=422 if (form is not None or pay_form is not None) else 200,
    )


@login_required
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.readable_conversation(request.user, pk)
    if request.method != "POST":
        return _conversation_page(request, found)
    require(request.user, "discussion.conversation.post", found)
    form = forms.MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_send(
                actor=request.user, conversation=found, body=form.cleaned_data["body"]
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Your message is sent."))
            return redirect("discussion:conversation", pk=found.pk)
    return _conversation_page(request, found, form=form)


@login_required
@require_POST
def conversation_request(request: HttpRequest, pk: int) -> HttpResponse:
    """End the conversation with a payment request (made by the ledger's services)."""
    found = queries.readable_conversation(request.user, pk)
    require(request.user, "discussion.conversation.post", found)
    form = forms.PaymentRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_request_send(
                actor=request.user,
                conversation=found,
                amount=data["amount"] or None,
                currency_code=data["currency"] or None,
                memo=data["memo"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The payment request is sent."))
            return redirect("discussion:conversation", pk=found.pk)
    return _conversation_page(request, found, pay_form=form)
