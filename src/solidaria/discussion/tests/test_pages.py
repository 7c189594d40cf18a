"""Discussion pages with Django's test client: threads on their parents' pages, posting
without JavaScript, escaping, moderation as each role sees it, pagination, conversations."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.discussion import queries, services
from solidaria.discussion.models import Comment, Message, Report

pytestmark = pytest.mark.django_db


def _thread_post_url(kind: str, pk: int) -> str:
    return reverse("discussion:comment_new", kwargs={"kind": kind, "pk": pk})


def test_an_offer_page_shows_its_thread_and_anyone_may_read_it(offer, member) -> None:
    services.comment_post(actor=member, parent=offer, body="Baked on Fridays")

    page = Client().get(reverse("ledger:listing", kwargs={"listing_id": offer.pk}))

    text = page.content.decode()
    assert "Discussion (1 comment)" in text
    assert "Baked on Fridays" in text
    assert "Log in to take part in the discussion." in text


def test_posting_a_comment_without_javascript_redirects_to_it(offer, other_member) -> None:
    client = Client()
    client.force_login(other_member)
    listing_url = reverse("ledger:listing", kwargs={"listing_id": offer.pk})

    response = client.post(
        _thread_post_url("listing", offer.pk), {"body": "How many loaves?", "next": listing_url}
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{listing_url}?comments=1#comment-{comment.pk}"
    assert "How many loaves?" in client.get(listing_url).content.decode()


def test_a_refused_comment_keeps_the_text_on_the_form(offer, other_member) -> None:
    client = Client()
    client.force_login(other_member)

    response = client.post(_thread_post_url("listing", offer.pk), {"body": "x" * 5001})

    assert response.status_code == 422
    assert Comment.objects.count() == 0
    assert 'aria-invalid="true"' in response.content.decode()


def test_comments_are_escaped_and_only_mentions_become_links(offer, member, other_member) -> None:
    services.comment_post(
        actor=other_member,
        parent=offer,
        body='<script>alert(1)</script> <a href="x">link</a> thanks @ada. and @ghost',
    )

    text = Client().get(reverse("ledger:listing", kwargs={"listing_id": offer.pk})).content
    html = text.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="x">' not in html
    person = reverse("discussion:person", kwargs={"username": "ada"})
    assert f'<a class="mention" href="{person}">@ada</a>.' in html
    assert "@ghost" in html and 'href="/discussion/people/ghost/"' not in html


def test_hidden_comments_show_the_reason_to_stewards_and_a_placeholder_to_others(
    offer, member, other_member, steward
) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Something rude")
    services.comment_hide(actor=steward, comment=comment, reason="Insults a member")
    url = reverse("ledger:listing", kwargs={"listing_id": offer.pk})

    as_steward = Client()
    as_steward.force_login(steward)
    steward_html = as_steward.get(url).content.decode()
    member_html = Client().get(url).content.decode()

    assert "Hidden by a steward: Insults a member" in steward_html
    assert "Something rude" in steward_html
    assert "This comment was hidden by a steward." in member_html
    assert "Something rude" not in member_html
    assert "Insults a member" not in member_html


def test_replies_are_shown_under_their_comment(offer, member, other_member) -> None:
    top = services.comment_post(actor=member, parent=offer, body="First")
    services.comment_post(actor=other_member, parent=offer, body="An answer", reply_to=top)
    services.comment_post(actor=other_member, parent=offer, body="Second")
    client = Client()
    client.force_login(other_member)

    html = client.get(reverse("ledger:listing", kwargs={"listing_id": offer.pk})).content.decode()

    replies = re.search(r'<ol class="replies".*?</ol>', html, re.S)
    assert replies is not None and "An answer" in replies.group(0)
    assert html.index("First") < html.index("An answer") < html.index("Second")
    assert html.count("<summary>Reply") == 2


def test_long_threads_are_paginated(offer, member, settings) -> None:
    settings.SOLIDARIA_THROTTLES = {"discussion_post": (1000, 60)}
    for n in range(queries.PAGE_SIZE + 3):
        services.comment_post(actor=member, parent=offer, body=f"Comment number {n:02d}")
    url = reverse("ledger:listing", kwargs={"listing_id": offer.pk})

    first = Client().get(url).content.decode()
    second = Client().get(url, {"comments": 2}).content.decode()

    assert "Comment number 00" in first and "Comment number 20" not in first
    assert "Comment number 20" in second and "Comment number 22" in second
    assert 'aria-current="page">2<' in second
    assert "Discussion (23 comments)" in first


def test_an_applicant_reads_but_cannot_post(offer, member, applicant_client) -> None:
    services.comment_post(actor=member, parent=offer, body="Hello")
    html = applicant_client.get(
        reverse("ledger:listing", kwargs={"listing_id": offer.pk})
    ).content.decode()
    assert "only admitted members who take part in it can write" in html

    response = applicant_client.post(_thread_post_url("listing", offer.pk), {"body": "Me"})

    assert response.status_code == 403
    assert Comment.objects.count() == 1


def test_a_members_only_poll_thread_is_a_404_to_outsiders(poll, member, other_member) -> None:
    services.comment_post(actor=member, parent=poll, body="Agreed")
    client = Client()
    client.force_login(other_member)

    page = client.get(reverse("discussion:thread", kwargs={"kind": "poll", "pk": poll.pk}))
    post = client.post(_thread_post_url("poll", poll.pk), {"body": "Let me in"})

    assert page.status_code == 404 and post.status_code == 404
    assert Comment.objects.count() == 1


def test_a_project_thread_has_its_own_page(project, member, member_client) -> None:
    services.comment_post(actor=member, parent=project, body="Near the school please")

    page = member_client.get(
        reverse("discussion:thread", kwargs={"kind": "project", "pk": project.pk})
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Benches</h1>" in html
    assert "Near the school please" in html


def test_the_author_edits_on_a_form_and_others_get_403(offer, member, other_member) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Typo hre")
    url = reverse("discussion:comment_edit", kwargs={"pk": comment.pk})
    author, other = Client(), Client()
    author.force_login(member)
    other.force_login(other_member)

    assert other.post(url, {"body": "Hacked"}).status_code == 403
    assert author.get(url).status_code == 200
    response = author.post(url, {"body": "Typo here"})

    comment.refresh_from_db()
    assert response.status_code == 302
    assert comment.body == "Typo here"


def test_report_queue_and_decision_pages(offer, member, other_member, steward) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Buy cheap pills")
    reporter = Client()
    reporter.force_login(other_member)
    stew = Client()
    stew.force_login(steward)

    reporter.post(
        reverse("discussion:comment_report", kwargs={"pk": comment.pk}), {"reason": "Spam"}
    )
    queue = stew.get(reverse("discussion:reports")).content.decode()
    report = Report.objects.get()
    stew.post(
        reverse("discussion:report_resolve", kwargs={"pk": report.pk}),
        {"decision": "hide", "note": "Advertising"},
    )

    assert "Buy cheap pills" in queue and "Spam" in queue
    assert reporter.get(reverse("discussion:reports")).status_code == 403
    comment.refresh_from_db()
    assert (comment.is_hidden, comment.hidden_reason) == (True, "Advertising")
    after = stew.get(reverse("discussion:reports")).content.decode()
    assert "No comment waits for a steward." in after


def test_a_steward_hides_a_comment_from_its_form_and_a_member_may_not(
    offer, member, steward
) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Rude words")
    url = reverse("discussion:comment_hide", kwargs={"pk": comment.pk})
    stew = Client()
    stew.force_login(steward)
    author = Client()
    author.force_login(member)

    refused = author.post(url, {"reason": "Mine"})
    response = stew.post(url, {"reason": "Insults a member"})

    assert refused.status_code == 403
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.is_hidden, comment.hidden_reason) == (True, "Insults a member")


def test_a_conversation_from_first_message_to_payment_request(
    offer, member, other_member, accounts
) -> None:
    buyer, seller = Client(), Client()
    buyer.force_login(other_member)
    seller.force_login(member)

    listing_page = buyer.get(reverse("ledger:listing", kwargs={"listing_id": offer.pk}))
    assert "Write privately to its author" in listing_page.content.decode()
    start = buyer.post(
        reverse("discussion:listing_conversation", kwargs={"listing_id": offer.pk}),
        {"body": "Could I have two on Friday?"},
    )
    conversation_url = start["Location"]
    seller.post(conversation_url, {"body": "Yes, 9.00 for two"})
    conversation_id = Message.objects.first().conversation_id
    seller.post(
        reverse("discussion:conversation_request", kwargs={"pk": conversation_id}),
        {"amount": "9.00", "memo": "Two loaves"},
    )

    html = buyer.get(conversation_url).content.decode()
    assert "Could I have two on Friday?" in html and "Yes, 9.00 for two" in html
    assert "Payment request: 9.00 SOL (open)." in html
    assert "Pay or decline it on your ledger page" in html
    stranger = Client()
    stranger.force_login(
        __import__("solidaria.accounts.factories", fromlist=["make_member"]).make_member("eve")
    )
    assert stranger.get(conversation_url).status_code == 404


def test_the_owner_sees_how_many_wrote_privately(offer, member, other_member) -> None:
    services.conversation_start(actor=other_member, listing=offer, body="Hi")
    client = Client()
    client.force_login(member)

    html = client.get(reverse("ledger:listing", kwargs={"listing_id": offer.pk})).content.decode()
    mine = client.get(reverse("discussion:conversations")).content.decode()

    assert "1 member wrote to you privately about this." in html
    assert "with bo" in mine


def test_a_poll_page_carries_its_thread(poll, member, member_client) -> None:
    services.comment_post(actor=member, parent=poll, body="Which oven model?")

    html = member_client.get(reverse("governance:poll", kwargs={"pk": poll.pk})).content.decode()

    assert "Discussion (1 comment)" in html and "Which oven model?" in html
    assert _thread_post_url("poll", poll.pk) in html


def test_a_proposed_entry_shows_its_review_thread_to_its_proposer_only(
    proposed_org, member, member_client, other_member, steward
) -> None:
    services.comment_post(actor=steward, parent=proposed_org, body="Is there a website?")
    url = reverse("directory:detail", kwargs={"org_id": proposed_org.pk})

    html = member_client.get(url).content.decode()
    other = Client()
    other.force_login(other_member)

    assert "Is there a website?" in html
    assert other.get(url).status_code == 404


def test_a_process_page_links_each_projects_thread(project, member, member_client) -> None:
    services.comment_post(actor=member, parent=project, body="Yes")
    html = member_client.get(
        reverse("budgeting:process", kwargs={"slug": project.process.slug})
    ).content.decode()

    thread = reverse("discussion:thread", kwargs={"kind": "project", "pk": project.pk})
    assert f'<a href="{thread}">Discussion (1 comment)</a>' in html


def test_members_find_their_conversations_and_stewards_the_reports(
    offer, member, other_member, steward, steward_client
) -> None:
    services.conversation_start(actor=other_member, listing=offer, body="Hi")
    comment = services.comment_post(actor=member, parent=offer, body="Spam")
    services.comment_report(actor=other_member, comment=comment, reason="Ad")
    client = Client()
    client.force_login(other_member)

    listings = client.get(reverse("ledger:listings")).content.decode()
    review = steward_client.get(reverse("directory:review")).content.decode()

    assert "Private messages (1 conversation)" in listings
    assert "Reported comments" not in listings
    assert "Reported comments (1 waiting)" in review


def test_a_mention_leads_to_the_persons_offers_and_their_name_only_for_members(
    offer, member, member_client
) -> None:
    from solidaria.accounts.models import User

    User.objects.filter(pk=member.pk).update(first_name="Ada", last_name="Lovelace")
    url = reverse("discussion:person", kwargs={"username": "ada"})

    public = Client().get(url).content.decode()
    inside = member_client.get(url).content.decode()

    assert "Sourdough bread" in public and "Ada Lovelace" not in public
    assert "Ada Lovelace" in inside
    assert (
        Client().get(reverse("discussion:person", kwargs={"username": "nobody"})).status_code == 404
    )
