"""Services of the discussion app: threads, replies, mentions, edits, moderation,
reports, private conversations ending in a payment request, throttling."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.core.errors import Conflict, PermissionDenied, TooManyAttempts, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.discussion import notify, services
from solidaria.discussion.models import Comment, CommentVersion, Mention, Message, Report, Thread
from solidaria.ledger.models import PaymentRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent() -> Any:
    """What would be handed to notifications.services.notify, call by call."""
    calls: list[dict[str, Any]] = []

    def fake(kind: str, recipients: Any, **kw: Any) -> None:
        calls.append({"kind": kind, "to": sorted(u.username for u in recipients), **kw})

    with mock.patch.object(notify, "_notify", return_value=fake):
        yield calls


# ---------------------------------------------------------------- comments


def test_the_first_comment_makes_the_thread_and_an_audit_event(offer, other_member) -> None:
    comment = services.comment_post(actor=other_member, parent=offer, body="  Still available? ")

    assert comment.body == "Still available?"
    assert Thread.objects.get().listing == offer
    assert comment.thread.kind == "listing"
    assert AuditEvent.objects.filter(verb="discussion.comment.post").count() == 1


def test_a_reply_to_a_reply_joins_the_top_comment_and_tells_both_authors(
    offer, member, other_member, sent
) -> None:
    chen = make_member("chen")
    top = services.comment_post(actor=member, parent=offer, body="Fresh on Fridays")
    reply = services.comment_post(actor=other_member, parent=offer, body="Great", reply_to=top)

    again = services.comment_post(actor=chen, parent=offer, body="Me too", reply_to=reply)

    assert again.reply_to == top
    replies = [c for c in sent if c["kind"] == notify.REPLY]
    assert replies[-1]["to"] == ["ada", "bo"]
    assert replies[-1]["context"]["subject"] == "Sourdough bread"


def test_a_reply_must_answer_a_comment_of_the_same_thread(offer, want, member) -> None:
    elsewhere = services.comment_post(actor=member, parent=want, body="Anyone?")

    with pytest.raises(ValidationFailed):
        services.comment_post(actor=member, parent=offer, body="x", reply_to=elsewhere)


def test_an_empty_comment_is_refused(offer, member) -> None:
    with pytest.raises(ValidationFailed):
        services.comment_post(actor=member, parent=offer, body="   ")
    assert Comment.objects.count() == 0


def test_mentions_notify_each_named_person_once_and_only_who_may_read(
    proposed_org, member, other_member, steward, sent
) -> None:
    # a directory review is read by its proposer (ada) and the stewards only
    comment = services.comment_post(
        actor=member, parent=proposed_org, body="@stew @bo @stew @nobody please look"
    )

    assert list(Mention.objects.values_list("user__username", flat=True)) == ["stew"]
    assert [(c["kind"], c["to"]) for c in sent] == [(notify.MENTION, ["stew"])]
    assert sent[0]["target"] == comment


def test_an_edit_keeps_the_old_text_and_notifies_only_new_mentions(
    offer, member, other_member, sent
) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Ask @bo")

    services.comment_edit(actor=member, comment=comment, body="Ask @bo or @chen")
    make_member("chen")
    services.comment_edit(actor=member, comment=comment, body="Ask @bo or @chen!")

    comment.refresh_from_db()
    assert comment.body == "Ask @bo or @chen!"
    assert comment.edited_at is not None
    assert list(CommentVersion.objects.values_list("body", flat=True)) == [
        "Ask @bo",
        "Ask @bo or @chen",
    ]
    assert [c["to"] for c in sent] == [["bo"], ["chen"]]


def test_only_the_author_edits_and_only_within_the_window(offer, member, other_member) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Hello")

    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=other_member, comment=comment, body="Hacked")
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=16)
    )
    with pytest.raises(Conflict, match="15 minutes"):
        services.comment_edit(actor=member, comment=comment, body="Too late")
    comment.refresh_from_db()
    assert comment.body == "Hello"
    assert CommentVersion.objects.count() == 0


@override_settings(SOLIDARIA_DISCUSSION_EDIT_WINDOW=60)
def test_the_edit_window_is_a_setting(offer, member) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Hello")
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=61)
    )
    with pytest.raises(Conflict, match="1 minute"):
        services.comment_edit(actor=member, comment=comment, body="Later")


# ---------------------------------------------------------------- who may comment


def test_applicants_and_suspended_people_only_read_public_threads(offer, applicant) -> None:
    with pytest.raises(PermissionDenied):
        services.comment_post(actor=applicant, parent=offer, body="Hi")
    assert Thread.objects.count() == 0


def test_a_poll_thread_is_for_the_coops_insiders(poll, member, other_member, steward) -> None:
    services.comment_post(actor=member, parent=poll, body="I support it")
    services.comment_post(actor=steward, parent=poll, body="Noted")

    with pytest.raises(PermissionDenied):
        services.comment_post(actor=other_member, parent=poll, body="Outsider")
    assert Comment.objects.count() == 2


def test_the_proposer_of_an_entry_takes_part_in_its_review_even_as_applicant(
    applicant, steward
) -> None:
    from solidaria.directory import services as directory

    org = directory.organisation_create(actor=applicant, data={"name": "Newcomers' Co-op"})
    services.comment_post(actor=steward, parent=org, body="Is there a website?")
    services.comment_post(actor=applicant, parent=org, body="Not yet")

    other = make_member("chen")
    with pytest.raises(PermissionDenied):
        services.comment_post(actor=other, parent=org, body="Me too")


def test_a_closed_offer_takes_no_more_comments(offer, member, other_member) -> None:
    from solidaria.ledger.listings import listing_close

    listing_close(actor=member, listing=offer)
    offer.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.comment_post(actor=other_member, parent=offer, body="Too late?")


def test_a_project_thread_follows_its_process(project, member, applicant) -> None:
    services.comment_post(actor=member, parent=project, body="Where would they go?")
    with pytest.raises(PermissionDenied):
        services.comment_post(actor=applicant, parent=project, body="Me")


# ---------------------------------------------------------------- moderation


def test_a_steward_hides_with_a_reason_and_open_reports_are_closed(
    offer, member, other_member, steward
) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Rude words")
    report = services.comment_report(actor=other_member, comment=comment, reason="Insulting")

    with pytest.raises(PermissionDenied):
        services.comment_hide(actor=other_member, comment=comment, reason="mine")
    with pytest.raises(ValidationFailed):
        services.comment_hide(actor=steward, comment=comment, reason=" ")
    services.comment_hide(actor=steward, comment=comment, reason="Breaks the rules")

    comment.refresh_from_db()
    report.refresh_from_db()
    assert (comment.is_hidden, comment.hidden_reason, comment.hidden_by) == (
        True,
        "Breaks the rules",
        steward,
    )
    assert (report.status, report.resolved_by) == (Report.Status.HIDDEN, steward)
    with pytest.raises(Conflict):
        services.comment_edit(actor=member, comment=comment, body="Sorry")


def test_reporting_twice_is_one_report_and_stewards_are_told(
    offer, member, other_member, steward, sent
) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Spam spam")

    first = services.comment_report(actor=other_member, comment=comment, reason="Spam")
    second = services.comment_report(actor=other_member, comment=comment, reason="Spam!")

    assert first == second
    assert Report.objects.count() == 1
    assert [(c["kind"], c["to"]) for c in sent] == [(notify.REPORT, ["stew"])]
    with pytest.raises(ValidationFailed):
        services.comment_report(actor=member, comment=comment, reason="my own")


def test_a_steward_dismisses_a_report_once(offer, member, other_member, steward) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Fine words")
    report = services.comment_report(actor=other_member, comment=comment, reason="Dislike")

    with pytest.raises(PermissionDenied):
        services.report_resolve(actor=member, report=report, hide=False)
    services.report_resolve(actor=steward, report=report, hide=False, note="Within the rules")

    report.refresh_from_db()
    comment.refresh_from_db()
    assert (report.status, report.resolution_note) == (Report.Status.DISMISSED, "Within the rules")
    assert comment.is_hidden is False
    with pytest.raises(Conflict):
        services.report_resolve(actor=steward, report=report, hide=True)


def test_deciding_a_report_by_hiding_uses_the_report_reason(
    offer, member, other_member, steward
) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Bad")
    report = services.comment_report(actor=other_member, comment=comment, reason="Harassment")

    services.report_resolve(actor=steward, report=report, hide=True)

    comment.refresh_from_db()
    assert comment.hidden_reason == "Harassment"
    report.refresh_from_db()
    assert report.status == Report.Status.HIDDEN


# ---------------------------------------------------------------- throttling


@override_settings(SOLIDARIA_THROTTLES={"discussion_post": (3, 60)})
def test_posting_is_throttled_per_person(offer, member, other_member) -> None:
    for n in range(3):
        services.comment_post(actor=other_member, parent=offer, body=f"Post {n}")

    with pytest.raises(TooManyAttempts, match="posting very quickly"):
        services.comment_post(actor=other_member, parent=offer, body="One more")
    services.comment_post(actor=member, parent=offer, body="Someone else may")
    assert Comment.objects.count() == 4


# ---------------------------------------------------------------- conversations


def test_a_conversation_ends_in_a_payment_request_from_the_offers_author(
    offer, member, other_member, accounts, sent
) -> None:
    first = services.conversation_start(actor=other_member, listing=offer, body="Two loaves?")
    conversation = first.conversation
    services.message_send(actor=member, conversation=conversation, body="Yes, Friday")

    message = services.payment_request_send(actor=member, conversation=conversation)

    request = message.payment_request
    assert (request.payee, request.payer, request.amount_minor) == (
        accounts["ada"],
        accounts["bo"],
        450,
    )
    assert request.listing == offer
    assert request.status == PaymentRequest.Status.OPEN
    # the two messages; the request itself is the ledger's to announce to its payer
    assert [c["to"] for c in sent] == [["ada"], ["bo"]]
    with pytest.raises(Conflict):
        services.payment_request_send(actor=member, conversation=conversation, amount="1")
    assert PaymentRequest.objects.count() == 1


def test_the_member_who_answers_a_want_asks_its_author_to_pay(
    want, member, other_member, accounts
) -> None:
    conversation = services.conversation_start(
        actor=other_member, listing=want, body="I can fix it"
    ).conversation

    with pytest.raises(ValidationFailed):
        services.payment_request_send(actor=member, conversation=conversation)
    message = services.payment_request_send(
        actor=other_member, conversation=conversation, amount="12.50", memo="New tube"
    )

    request = message.payment_request
    assert (request.payee, request.payer, request.amount_minor, request.memo) == (
        accounts["bo"],
        accounts["ada"],
        1250,
        "New tube",
    )


def test_a_missing_account_is_said_on_the_form(offer, member, other_member) -> None:
    conversation = services.conversation_start(
        actor=other_member, listing=offer, body="Hi"
    ).conversation
    with pytest.raises(ValidationFailed, match="no SOL account"):
        services.payment_request_send(actor=member, conversation=conversation)
    assert Message.objects.count() == 1


def test_only_the_two_sides_write_in_a_conversation(offer, member, other_member) -> None:
    conversation = services.conversation_start(
        actor=other_member, listing=offer, body="Hi"
    ).conversation
    chen = make_member("chen")

    with pytest.raises(PermissionDenied):
        services.message_send(actor=chen, conversation=conversation, body="Me too")
    with pytest.raises(PermissionDenied):
        services.conversation_start(actor=member, listing=offer, body="To myself")
    again = services.conversation_start(actor=other_member, listing=offer, body="Hello?")
    assert again.conversation == conversation
    assert Message.objects.count() == 2


def test_the_author_hears_of_a_request_the_member_makes_to_pay_them(
    offer, member, other_member, accounts, sent
) -> None:
    conversation = services.conversation_start(
        actor=other_member, listing=offer, body="I'll take one"
    ).conversation

    message = services.payment_request_send(actor=other_member, conversation=conversation)

    assert message.payment_request.payer == accounts["bo"]
    assert [(c["kind"], c["to"]) for c in sent] == [
        (notify.MESSAGE, ["ada"]),
        (notify.MESSAGE, ["ada"]),
    ]


def test_the_owner_hears_of_comments_on_their_offer_once(offer, member, other_member, sent) -> None:
    services.comment_post(actor=other_member, parent=offer, body="Still there?")
    services.comment_post(actor=other_member, parent=offer, body="Hello @ada")
    services.comment_post(actor=member, parent=offer, body="Yes")

    assert [(c["kind"], c["to"]) for c in sent] == [
        (notify.COMMENTED, ["ada"]),
        (notify.MENTION, ["ada"]),
    ]
