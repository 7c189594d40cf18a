"""Demo discussion: a thread with replies and mentions on an offer, comments on a poll
and a budgeting project when their demo data is there, and a private conversation about
an offer that ends in a payment request. Idempotent: each comment and message is looked
up by its text before it is made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solidaria.core.demo import demo_users
from solidaria.discussion import services
from solidaria.discussion.models import Comment, Message

# (author, text, index of the comment it answers or None)
OFFER_THREAD = [
    ("ana", "Is the sourdough wholemeal? @bilal, could you bake a rye loaf too?", None),
    ("bilal", "Half wholemeal. Rye on request, @ana: tell me on Thursday.", 0),
    ("chen", "I'd take a rye loaf as well, @bilal.", 0),
    ("dolores", "Could the bread come to the Saturday market stall?", None),
]
POLL_THREAD = [
    ("steward", "Questions about the proposal are welcome here before the vote closes.", None),
]
PROJECT_THREAD = [
    ("farah", "Benches near the playground would help parents. What do you think, @emeka?", None),
    ("emeka", "Agreed, and shade over them if the budget allows.", 0),
]
CONVERSATION = [
    ("chen", "My back brake squeaks. Could you look at it this week?"),
    ("emeka", "Yes, bring it on Wednesday evening. The usual 10 SOL."),
]


def _thread(
    parent: Any, lines: Sequence[tuple[str, str, int | None]], users: dict[str, Any]
) -> int:
    made: list[Comment] = []
    count = 0
    for author, text, answers in lines:
        found = Comment.objects.filter(body=text).first()
        if found is None:
            found = services.comment_post(
                actor=users[author],
                parent=parent,
                body=text,
                reply_to=made[answers] if answers is not None else None,
            )
            count += 1
        made.append(found)
    return count


def _first_poll(users: dict[str, Any]) -> Any:
    from solidaria.governance.models import Poll

    return Poll.objects.filter(kind=Poll.Kind.PROPOSAL).order_by("id").first()


def _first_project() -> Any:
    from solidaria.budgeting.models import Project, ProjectStatus

    return Project.objects.filter(status=ProjectStatus.FEASIBLE).order_by("-id").first()


def _conversation(users: dict[str, Any], stdout: Any) -> None:
    from solidaria.ledger.models import Listing

    listing = Listing.objects.filter(owner=users["emeka"], title="Bike repair").first()
    if listing is None:
        stdout.write("  discussion: emeka's bike repair offer not found; conversation skipped")
        return
    first_author, first_text = CONVERSATION[0]
    first = Message.objects.filter(body=first_text).first()
    if first is None:
        first = services.conversation_start(
            actor=users[first_author], listing=listing, body=first_text
        )
    conversation = first.conversation
    for author, text in CONVERSATION[1:]:
        if not Message.objects.filter(conversation=conversation, body=text).exists():
            services.message_send(actor=users[author], conversation=conversation, body=text)
    if not conversation.messages.filter(payment_request__isnull=False).exists():
        services.payment_request_send(
            actor=users["emeka"], conversation=conversation, memo="Back brake fixed"
        )
    stdout.write("  discussion: chen and emeka agreed on a bike repair (payment request sent)")


def load(*, stdout: Any) -> None:
    from solidaria.ledger.models import Listing

    users = demo_users()
    bread = Listing.objects.filter(owner=users["bilal"], title="Sourdough bread").first()
    if bread is not None:
        made = _thread(bread, OFFER_THREAD, users)
        stdout.write(f"  discussion: {made} comments on bilal's sourdough bread")
    poll = _first_poll(users)
    if poll is not None:
        _thread(poll, POLL_THREAD, users)
    project = _first_project()
    if project is not None:
        from solidaria.core.permissions import allowed

        if all(
            allowed(users[a], "discussion.comment.post", project) for a, _t, _r in PROJECT_THREAD
        ):
            _thread(project, PROJECT_THREAD, users)
    _conversation(users, stdout)
