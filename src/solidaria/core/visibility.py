"""Who may read a budgeting process, a poll, a clearing run or a co-op: one place.

Each of them carries `visibility` (`core.models.Visibility`): *public* ones (their
published results, outcomes and summaries: totals and percentages, never a person's
position) are readable without logging in, at the same stable URL members use;
*members* ones only by admitted members of the network. The rules themselves are named
in `core/permissions.py` (`budgeting.process.view`, `governance.coop.view`,
`governance.poll.view`, `clearing.run.view`); pages, the API and the dashboard ask
through the functions here.

A members-only object asked for by someone who may not read it raises `MembersOnly`, a
`NotFound`: the API answers 404 as for anything missing (scripts learn nothing), while
pages (core.middleware) send a visitor to the login page with a sentence saying why, and
tell a logged-in applicant why they cannot read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.core.models import Visibility
from solidaria.core.permissions import RULES, allowed, is_member, require

M = TypeVar("M", bound=Model)


class MembersOnly(NotFound):
    """A members-only object that this person may not read (yet)."""


def is_public(obj: Any) -> bool:
    return getattr(obj, "visibility", None) == Visibility.PUBLIC


def readable(actor: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """The rows of `qs` that `actor` may read: all for members, public ones for others."""
    return qs if is_member(actor) else qs.filter(visibility=Visibility.PUBLIC)


def require_view(actor: Any, rule_name: str, obj: Any) -> None:
    """Raise `MembersOnly`, with the rule's sentence, unless `actor` may read `obj`."""
    if allowed(actor, rule_name, obj):
        return
    reason = str(RULES[rule_name].message)
    if getattr(actor, "is_authenticated", False):
        raise MembersOnly(reason)
    raise MembersOnly(f"{reason} {_('Log in to see it.')}")


def hidden_count(actor: Any, qs: QuerySet[M]) -> int:
    """How many rows of `qs` are members-only and hidden from `actor` (0 for members)."""
    return 0 if is_member(actor) else qs.exclude(visibility=Visibility.PUBLIC).count()


# ---------------------------------------------------------------- choosing it


@dataclass(frozen=True)
class Kind:
    """What may carry a visibility: its model, the rule that manages it (asked of the
    object the rule is about) and the verb of its audit event."""

    model: str
    manage_rule: str
    verb: str
    manager_of: Callable[[Any], Any] = lambda obj: obj


KINDS = {
    "process": Kind(
        "budgeting.Process", "budgeting.process.manage", "budgeting.process.visibility_set"
    ),
    "coop": Kind(
        "governance.Cooperative", "governance.coop.steward", "governance.coop.visibility_set"
    ),
    "poll": Kind(
        "governance.Poll",
        "governance.coop.steward",
        "governance.poll.visibility_set",
        lambda poll: poll.coop,
    ),
    "run": Kind("clearing.ClearingRun", "clearing.run.manage", "clearing.run.visibility_set"),
}


def kind_of(obj: Any) -> str:
    label = obj._meta.label
    return next(name for name, kind in KINDS.items() if kind.model == label)


@transaction.atomic
def visibility_set(*, actor: Any, kind: str, pk: int, value: str) -> Any:
    """Make a process, co-op, poll or clearing run public or members-only; those who
    manage it decide (its `manage_rule`). Audited with the old and the new value."""
    if kind not in KINDS:
        raise NotFound(_("Nothing of this kind has a visibility."))
    spec = KINDS[kind]
    model = apps.get_model(spec.model)
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("There is nothing here."))
    require(actor, spec.manage_rule, spec.manager_of(obj))
    if value not in Visibility.values:
        raise ValidationFailed(_("Choose public or members only."), field="visibility")
    before = obj.visibility
    if before != value:
        obj.visibility = value
        obj.save(update_fields=["visibility"])
        audit.record(actor=actor, verb=spec.verb, obj=obj, data={"from": before, "to": value})
    return obj
