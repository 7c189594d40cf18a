"""The discussion REST API: reading threads (anonymously when public), writing with a
token, moderation and reports, conversations; refusals are documented 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from solidaria.accounts.models import ApiToken, User
from solidaria.discussion import services
from solidaria.discussion.models import Comment, Report
from solidaria.ledger.models import PaymentRequest

pytestmark = pytest.mark.django_db


def _client(user: User | None) -> Client:
    if user is None:
        return Client()
    _token, raw = ApiToken.issue(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _post(client: Client, path: str, body: dict[str, Any], method: str = "POST") -> Any:
    return client.generic(method, path, json.dumps(body), content_type="application/json")


def test_anyone_reads_an_offers_thread_threaded(offer, member, other_member) -> None:
    top = services.comment_post(actor=member, parent=offer, body="Hi @bo")
    reply = services.comment_post(actor=other_member, parent=offer, body="Hello", reply_to=top)
    later = services.comment_post(actor=other_member, parent=offer, body="Later")

    response = Client().get(f"/api/discussion/threads/listing/{offer.pk}/comments")

    assert response.status_code == 200
    rows = response.json()
    assert [(r["id"], r["reply_to"]) for r in rows] == [
        (top.pk, None),
        (reply.pk, top.pk),
        (later.pk, None),
    ]
    assert rows[0]["mentions"] == ["bo"] and rows[0]["author"] == "ada"


def test_a_member_comments_with_a_token_and_edits(offer, other_member) -> None:
    client = _client(other_member)

    created = _post(client, f"/api/discussion/threads/listing/{offer.pk}/comments", {"body": "Hi"})
    edited = _post(
        client, f"/api/discussion/comments/{created.json()['id']}", {"body": "Hi!"}, "PATCH"
    )

    assert created.status_code == 201
    assert edited.status_code == 200 and edited.json()["body"] == "Hi!"
    assert edited.json()["edited_at"] is not None


def test_refusals_are_401_403_404_and_422(offer, poll, applicant, other_member) -> None:
    path = f"/api/discussion/threads/listing/{offer.pk}/comments"

    assert _post(Client(), path, {"body": "x"}).status_code == 401
    assert _post(_client(applicant), path, {"body": "x"}).status_code == 403
    outsider = _client(other_member)
    assert outsider.get(f"/api/discussion/threads/poll/{poll.pk}/comments").status_code == 404
    assert outsider.get("/api/discussion/threads/nothing/1/comments").status_code == 404
    assert _post(outsider, path, {"body": "  "}).status_code == 422
    assert Comment.objects.count() == 0


def test_a_hidden_comment_has_no_body_for_members(offer, member, other_member, steward) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Rude")
    stewards = _client(steward)

    hidden = _post(stewards, f"/api/discussion/comments/{comment.pk}/hide", {"reason": "Rude"})
    seen = _client(other_member).get(f"/api/discussion/threads/listing/{offer.pk}/comments")

    assert hidden.json()["hidden_reason"] == "Rude" and hidden.json()["body"] == "Rude"
    assert seen.json()[0]["body"] is None and seen.json()[0]["hidden_reason"] == ""


def test_report_and_resolve(offer, member, other_member, steward) -> None:
    comment = services.comment_post(actor=member, parent=offer, body="Spam")

    made = _post(
        _client(other_member), f"/api/discussion/comments/{comment.pk}/reports", {"reason": "Ad"}
    )
    stewards = _client(steward)
    queue = stewards.get("/api/discussion/reports")
    refused = _client(member).get("/api/discussion/reports")
    decided = _post(
        stewards, f"/api/discussion/reports/{made.json()['id']}/resolve", {"decision": "dismiss"}
    )

    assert made.status_code == 201
    assert [r["reason"] for r in queue.json()] == ["Ad"]
    assert refused.status_code == 403
    assert decided.json()["status"] == Report.Status.DISMISSED


def test_a_conversation_through_the_api(offer, member, other_member, accounts) -> None:
    buyer, seller = _client(other_member), _client(member)

    first = _post(buyer, f"/api/discussion/offers-wants/{offer.pk}/messages", {"body": "Two?"})
    conversation = first.json()["conversation_id"]
    _post(seller, f"/api/discussion/conversations/{conversation}/messages", {"body": "Yes"})
    asked = _post(
        seller, f"/api/discussion/conversations/{conversation}/payment-request", {"amount": "9"}
    )
    detail = buyer.get(f"/api/discussion/conversations/{conversation}")
    outsider = _client(User.objects.create_user("eve")).get(
        f"/api/discussion/conversations/{conversation}"
    )

    assert first.status_code == 201 and asked.status_code == 201
    assert [m["body"] for m in detail.json()["messages"]] == ["Two?", "Yes", ""]
    assert detail.json()["messages"][-1]["payment_request_status"] == "open"
    assert PaymentRequest.objects.get().amount_minor == 900
    assert outsider.status_code == 404
    listed = buyer.get("/api/discussion/conversations").json()
    assert [c["id"] for c in listed] == [conversation]


def test_the_schema_documents_errors_and_names_are_unique() -> None:
    from solidaria.core.api import api

    schema = api.get_openapi_schema()
    post = schema["paths"]["/api/discussion/threads/{kind}/{parent_id}/comments"]["post"]
    assert {401, 403, 404, 409, 422, 429} <= {int(code) for code in post["responses"]}
    names = [n for n in schema["components"]["schemas"] if n.startswith("Discussion")]
    assert "DiscussionCommentOut" in names and "DiscussionError" in names
