"""What a thread can hang on, and who may read it or take part, per kind of parent.

The rules in `core/permissions.py` ("discussion.thread.read", "discussion.comment.post")
ask these two functions; each follows its parent's own visibility and membership:

| parent | who reads | who comments |
|---|---|---|
| budgeting project | whoever may see its process ("budgeting.process.view") | admitted members who may see it |
| poll (proposal, consent, consensus, advice) | whoever may see it ("governance.poll.view") | the co-op's insiders (admitted) |
| organisation proposed for the directory | its proposer and the stewards | the same |
| pending edit of a directory entry | its proposer and the stewards | the same |
| offer or want | anyone | admitted members, while it is open |

A directory review is a conversation between a proposer and the stewards, so its
proposer takes part even before being admitted (applicants may propose entries).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _

from solidaria.core.errors import NotFound
from solidaria.core.permissions import allowed, is_authenticated, is_member, is_steward

POLL_KINDS = frozenset({"proposal", "consent", "consensus", "advice"})


def _models() -> dict[str, type[models.Model]]:
    from solidaria.budgeting.models import Project
    from solidaria.directory.models import Organisation, PendingEdit
    from solidaria.governance.models import Poll
    from solidaria.ledger.models import Listing

    return {
        "project": Project,
        "poll": Poll,
        "organisation": Organisation,
        "edit": PendingEdit,
        "listing": Listing,
    }


KINDS = ("project", "poll", "organisation", "edit", "listing")


def kind_of(parent: Any) -> str:
    for kind, model in _models().items():
        if isinstance(parent, model):
            if kind == "poll" and parent.kind not in POLL_KINDS:
                break
            return kind
    raise NotFound(_("This cannot be discussed."))


def load(kind: str, pk: int) -> Any:
    """The parent of `kind` with id `pk`, or NotFound."""
    model = _models().get(kind)
    found = model._default_manager.filter(pk=pk).first() if model is not None else None
    if found is None:
        raise NotFound(_("There is nothing to discuss here."))
    kind_of(found)  # a poll of another kind has no thread
    return found


def _is(actor: Any, user_id: int | None) -> bool:
    return is_authenticated(actor) and user_id is not None and actor.pk == user_id


def _poll_insider(actor: Any, poll: Any) -> bool:
    from solidaria.governance.queries import may_see_inside

    return is_member(actor) and may_see_inside(actor, poll.coop)


def may_read(actor: Any, parent: Any) -> bool:
    kind = kind_of(parent)
    if kind == "project":
        from solidaria.budgeting.queries import can_view

        return can_view(actor, parent.process)
    if kind == "poll":
        return allowed(actor, "governance.poll.view", parent)
    if kind == "organisation":
        return is_steward(actor) or _is(actor, parent.created_by_id)
    if kind == "edit":
        return is_steward(actor) or _is(actor, parent.proposed_by_id)
    return True  # offers and wants are public


def may_take_part(actor: Any, parent: Any) -> bool:
    kind = kind_of(parent)
    if kind in ("organisation", "edit"):
        return may_read(actor, parent)
    if not is_member(actor):
        return False
    if kind == "poll":
        return _poll_insider(actor, parent)
    if kind == "listing":
        return bool(parent.is_active)
    return may_read(actor, parent)


def owner(parent: Any) -> Any:
    """Whose thing it is, told of new comments on it: an offer's or a want's author, a
    project's or a directory entry's or edit's proposer; None for a poll."""
    kind = kind_of(parent)
    field = {
        "listing": "owner",
        "project": "proposer",
        "organisation": "created_by",
        "edit": "proposed_by",
    }.get(kind)
    return getattr(parent, field) if field else None


def title(parent: Any) -> str:
    kind = kind_of(parent)
    if kind == "edit":
        return _("Changes to %(name)s") % {"name": parent.organisation.name}
    if kind == "organisation":
        return parent.name
    return str(parent.title)


def kind_label(kind: str) -> str:
    return {
        "project": _("budgeting project"),
        "poll": _("poll"),
        "organisation": _("directory entry"),
        "edit": _("proposed changes to a directory entry"),
        "listing": _("offer or want"),
    }[kind]


def url(parent: Any) -> str:
    """The page that shows the parent with its thread."""
    kind = kind_of(parent)
    if kind == "poll":
        return reverse("governance:poll", kwargs={"pk": parent.pk})
    if kind == "organisation":
        return reverse("directory:detail", kwargs={"org_id": parent.pk})
    if kind == "edit":
        return reverse("directory:detail", kwargs={"org_id": parent.organisation_id})
    if kind == "listing":
        return reverse("ledger:listing", kwargs={"listing_id": parent.pk})
    # a project is a row of its process's table: its thread has a page of its own
    return reverse("discussion:thread", kwargs={"kind": kind, "pk": parent.pk})
