"""Who may do what: one registry of named rules, asked by services, views and the API.

A rule is a name (`app.noun.verb`) bound to a predicate over `(actor, obj)` and a
sentence saying why a refusal happened. Predicates compose with `&`, `|` and `~`, as
adhocracy4's rules do:

    require(actor, "ledger.limits.set", account)      # raises PermissionDenied
    allowed(actor, "budgeting.ballot.cast", process)  # -> bool

The actor is a user (possibly anonymous) or `SYSTEM`, the platform itself (demo loader,
background tasks, policies a steward set). `None` is never an actor: asking with `None`
is a programming error and raises `TypeError`, so no route can fall through to "system".

Network membership: a signed-up person is an *applicant* until a steward admits them
(or they used an invitation). Only *admitted* people are members; `is_member` is true
for them alone, so every members-only check refuses applicants, suspended people and
people who left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Final

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from solidaria.core.errors import PermissionDenied


class SystemActor:
    """The platform acting on its own (jobs, the demo loader, a steward's standing policy).

    It is authenticated and allowed every rule; audit events record no user for it.
    """

    pk = None
    id = None
    username = "system"
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_system = True
    is_superuser = False
    is_steward = True
    admission = "admitted"

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return str(_("the platform"))

    def __bool__(self) -> bool:
        return True


SYSTEM: Final = SystemActor()


def _check_actor(actor: Any) -> None:
    if actor is None:
        raise TypeError("permission asked for actor=None: pass a user or core.permissions.SYSTEM")


def is_system_actor(actor: Any) -> bool:
    return actor is SYSTEM


# ---------------------------------------------------------------- predicates


@dataclass(frozen=True)
class Predicate:
    """A named test of `(actor, obj)`; `&`, `|` and `~` build new predicates."""

    test: Callable[[Any, Any], bool]
    name: str

    def __call__(self, actor: Any, obj: Any = None) -> bool:
        return bool(self.test(actor, obj))

    def __and__(self, other: Predicate) -> Predicate:
        return Predicate(lambda a, o: self(a, o) and other(a, o), f"({self.name} & {other.name})")

    def __or__(self, other: Predicate) -> Predicate:
        return Predicate(lambda a, o: self(a, o) or other(a, o), f"({self.name} | {other.name})")

    def __invert__(self) -> Predicate:
        return Predicate(lambda a, o: not self(a, o), f"~{self.name}")


def predicate(fn: Callable[[Any, Any], bool]) -> Predicate:
    return Predicate(fn, fn.__name__)


def _is_person(actor: Any) -> bool:
    return bool(
        actor is not None
        and actor is not SYSTEM
        and getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
    )


def is_authenticated(actor: Any) -> bool:
    """Logged in and not deactivated: applicants included."""
    return actor is SYSTEM or _is_person(actor)


def is_member(actor: Any) -> bool:
    """An admitted member of the network (stewards and superusers are always members)."""
    if actor is SYSTEM:
        return True
    if not _is_person(actor):
        return False
    if getattr(actor, "is_superuser", False) or getattr(actor, "role", "") == "steward":
        return True
    return getattr(actor, "admission", "") == "admitted"


def is_steward(actor: Any) -> bool:
    """A network steward (or the platform itself)."""
    if actor is SYSTEM:
        return True
    return _is_person(actor) and bool(getattr(actor, "is_steward", False))


authenticated = Predicate(lambda a, o: is_authenticated(a), "authenticated")
member = Predicate(lambda a, o: is_member(a), "member")
network_steward = Predicate(lambda a, o: is_steward(a), "network_steward")
system = Predicate(lambda a, o: a is SYSTEM, "system")


@predicate
def owns_object(actor: Any, obj: Any) -> bool:
    """The object's `user`/`owner`/`proposer` is the actor."""
    if not _is_person(actor) or obj is None:
        return False
    for attr in ("user_id", "owner_id", "proposer_id", "created_by_id"):
        if getattr(obj, attr, None) == actor.pk:
            return True
    return False


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Rule:
    name: str
    predicate: Predicate
    message: str | Promise


RULES: dict[str, Rule] = {}


def rule(name: str, pred: Predicate, message: str | Promise) -> Rule:
    """Declare a rule once; declaring a name twice is a programming error."""
    if name in RULES:
        raise ValueError(f"permission rule {name!r} is declared twice")
    RULES[name] = Rule(name, pred, message)
    return RULES[name]


def allowed(actor: Any, name: str, obj: Any = None) -> bool:
    _check_actor(actor)
    try:
        found = RULES[name]
    except KeyError:
        raise KeyError(f"no permission rule named {name!r}") from None
    return found.predicate(actor, obj)


def require(actor: Any, name: str, obj: Any = None) -> None:
    """Raise `PermissionDenied` with the rule's sentence unless `actor` may do `name`."""
    if not allowed(actor, name, obj):
        raise PermissionDenied(str(RULES[name].message))


# ---------------------------------------------------------------- page decorators


def steward_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Page decorator: anonymous users go to the login page, others without the role get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_steward(request.user):
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def member_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Page decorator: anonymous users log in; applicants and suspended people get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_member(request.user):
            raise DjangoPermissionDenied(_("Only admitted members of the network may do this."))
        return view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- the rules
# One line per action. App-specific predicates import their app lazily (no import
# cycles: core never imports an app at module level).

rule("accounts.profile.edit", authenticated, _("Log in to edit your profile."))
rule("accounts.token.issue", member, _("Only admitted members may create API tokens."))
rule("accounts.application.decide", network_steward, _("Only network stewards may do this."))
rule("accounts.invitation.create", member, _("Only admitted members may invite people."))
rule("accounts.invitation.quota.set", network_steward, _("Only network stewards may do this."))
rule(
    "directory.organisation.propose",
    authenticated,
    _("Log in to propose an organisation."),
)
rule("directory.organisation.review", network_steward, _("Only network stewards may review."))


@predicate
def is_operator(actor: Any, obj: Any) -> bool:
    """A confirmed operator of the organisation `obj` (or of `obj.organisation`: an
    account, a co-op), see `directory.operators`."""
    from solidaria.directory.operators import is_operator as runs

    org = getattr(obj, "organisation", obj) if obj is not None else None
    return _is_person(actor) and runs(actor, org)


rule("directory.operator.claim", member, _("Only admitted members may claim an organisation."))
rule("directory.operator.decide", network_steward, _("Only network stewards decide claims."))
rule(
    "directory.operator.end",
    network_steward | (authenticated & owns_object),
    _("Only the operator or a network steward may end this."),
)
rule(
    "directory.organisation.publish",
    network_steward | (member & is_operator),
    _("Only the people who run this organisation may choose what its page shows."),
)


@predicate
def is_party(actor: Any, obj: Any) -> bool:
    """The actor is the debtor or the creditor of an obligation."""
    return _is_person(actor) and actor.pk in (
        getattr(obj, "debtor_id", None),
        getattr(obj, "creditor_id", None),
    )


# governance


@predicate
def is_coop_steward(actor: Any, coop: Any) -> bool:
    """A network steward or a member the co-op made its steward."""
    from solidaria.governance.queries import is_coop_steward as coop_steward

    return _is_person(actor) and coop_steward(actor, coop)


rule("governance.coop.create", network_steward, _("Only network stewards may create a co-op."))
rule(
    "governance.coop.steward",
    system | (member & is_coop_steward),
    _("Only the co-op's stewards may do this."),
)


@predicate
def is_own_membership(actor: Any, membership: Any) -> bool:
    """The co-op membership `membership` is the actor's own."""
    return _is_person(actor) and getattr(membership, "user_id", None) == actor.pk


@predicate
def stewards_membership_coop(actor: Any, membership: Any) -> bool:
    """A steward of the co-op `membership` belongs to."""
    return membership is not None and is_coop_steward(actor, membership.coop)


rule(
    "governance.shares.order",
    system | (member & (is_own_membership | stewards_membership_coop)),
    _("Only the member or the co-op's stewards may order these shares."),
)

# budgeting


@predicate
def process_manager(actor: Any, process: Any) -> bool:
    """A member a network steward made manager of this budgeting process."""
    from solidaria.budgeting.managers import is_process_manager

    return _is_person(actor) and is_process_manager(actor, process)


rule(
    "budgeting.process.manage",
    network_steward | (member & process_manager),
    _("Only stewards and the process's managers may do this."),
)
rule(
    "budgeting.managers.set",
    network_steward,
    _("Only network stewards may choose a process's managers."),
)
rule("budgeting.project.propose", member, _("Only admitted members may propose projects."))
rule(
    "budgeting.project.withdraw",
    network_steward | (member & owns_object),
    _("Only the proposer or a steward may withdraw a project."),
)

# clearing
rule(
    "clearing.obligation.record",
    system | network_steward | (member & is_party),
    _("Only admitted members may record obligations, and only ones they are a party to."),
)
rule(
    "clearing.obligation.confirm",
    member & is_party,
    _("Only the debtor or the creditor can confirm an obligation."),
)
rule(
    "clearing.obligation.dispute",
    member & is_party,
    _("Only the debtor or the creditor can dispute an obligation."),
)
rule("clearing.run.manage", network_steward, _("Only stewards may run clearing."))


# visibility: public processes, polls, runs and co-ops are read by anyone; members-only
# ones by admitted members (a poll's by the co-op's members). See core/visibility.py.


@predicate
def is_public(actor: Any, obj: Any) -> bool:
    return getattr(obj, "visibility", None) == "public"


@predicate
def is_poll_insider(actor: Any, poll: Any) -> bool:
    """A member or steward of the co-op that holds the poll."""
    from solidaria.governance.queries import may_see_inside

    return _is_person(actor) and may_see_inside(actor, poll.coop)


rule(
    "budgeting.process.view",
    is_public | member,
    _("This budgeting process is for members of the network only."),
)
rule(
    "governance.coop.view",
    is_public | member,
    _("This co-op is for members of the network only."),
)
rule(
    "governance.poll.view",
    is_public | system | (member & is_poll_insider),
    _("This poll is for the co-op's members only."),
)
rule(
    "clearing.run.view",
    is_public | member,
    _("This clearing run is for members of the network only."),
)


@predicate
def is_debtor(actor: Any, obj: Any) -> bool:
    return _is_person(actor) and actor.pk == getattr(obj, "debtor_id", None)


@predicate
def is_creditor(actor: Any, obj: Any) -> bool:
    return _is_person(actor) and actor.pk == getattr(obj, "creditor_id", None)


@predicate
def touched_by_run(actor: Any, run: Any) -> bool:
    """The run sets off part of one of the actor's obligations."""
    from solidaria.clearing.queries import affected_member_ids

    return _is_person(actor) and actor.pk in affected_member_ids(run)


rule(
    "clearing.obligation.correct",
    member & is_party,
    _("Only the debtor or the creditor can correct an obligation's amount."),
)
rule(
    "clearing.obligation.withdraw",
    member & is_creditor,
    _("Only the creditor can withdraw an obligation."),
)
rule(
    "clearing.obligation.settle_in",
    network_steward | (member & is_debtor),
    _("Only a steward or the debtor chooses the currency an obligation is settled in."),
)
rule("clearing.obligation.settle", member & is_debtor, _("Only the debtor pays an obligation."))
rule(
    "clearing.run.respond",
    member & touched_by_run,
    _("Only the members whose obligations a run sets off answer its proposal."),
)

# ledger


@predicate
def currency_steward(actor: Any, obj: Any) -> bool:
    """A steward of the currency `obj` is or belongs to (Currency, Account, AccountRequest)."""
    from solidaria.ledger.credit import is_currency_steward

    return is_currency_steward(actor, obj)


@predicate
def organisation_operator(actor: Any, obj: Any) -> bool:
    """One of the people who run the organisation `obj` (see `ledger.credit.is_operator`)."""
    from solidaria.ledger.credit import is_operator

    return is_operator(actor, obj)


rule("ledger.currency.create", network_steward, _("Only network stewards may create a currency."))
rule(
    "ledger.currency.steward",
    network_steward | currency_steward,
    _("Only a steward of this currency may do this."),
)
rule(
    "ledger.currency.stewards.set",
    network_steward,
    _("Only network stewards may choose a currency's stewards."),
)
rule("ledger.account.open", member, _("Only admitted members of the network may open an account."))
rule(
    "ledger.account.request",
    member & organisation_operator,
    _("Only the people who run this organisation may ask for its account."),
)
rule(
    "ledger.account.operators.set",
    network_steward | (member & is_operator),
    _("Only the people who run this organisation may say who acts for its account."),
)

# discussion (who reads and who takes part follow the parent: discussion/parents.py)


@predicate
def may_read_discussion(actor: Any, parent: Any) -> bool:
    """The actor may read the thread of `parent` (a project, poll, entry, edit or listing)."""
    from solidaria.core.errors import NotFound
    from solidaria.discussion.parents import may_read

    try:
        return may_read(actor, parent)
    except NotFound:
        return False


@predicate
def may_take_part_in_discussion(actor: Any, parent: Any) -> bool:
    """The actor may comment on `parent` (or on the parent of the comment `parent`)."""
    from solidaria.core.errors import NotFound
    from solidaria.discussion.parents import may_take_part

    target = parent.thread.parent if hasattr(parent, "thread_id") else parent
    try:
        return may_take_part(actor, target)
    except NotFound:
        return False


@predicate
def may_read_comment(actor: Any, comment: Any) -> bool:
    return may_read_discussion(actor, comment.thread.parent)


@predicate
def is_comment_author(actor: Any, comment: Any) -> bool:
    return _is_person(actor) and getattr(comment, "author_id", None) == actor.pk


@predicate
def is_conversation_party(actor: Any, conversation: Any) -> bool:
    """The listing's author or the member who wrote to them about it."""
    return _is_person(actor) and actor.pk in (
        conversation.member_id,
        conversation.listing.owner_id,
    )


@predicate
def may_answer_listing(actor: Any, listing: Any) -> bool:
    """An open offer or want of someone else."""
    return _is_person(actor) and listing.is_active and listing.owner_id != actor.pk


rule("discussion.thread.read", may_read_discussion, _("This discussion is not open to you."))
rule(
    "discussion.comment.post",
    may_take_part_in_discussion,
    _("Only admitted members who may see this may comment on it."),
)
rule(
    "discussion.comment.edit",
    is_comment_author & may_take_part_in_discussion,
    _("Only its author may edit a comment."),
)
rule("discussion.comment.hide", network_steward, _("Only network stewards may hide comments."))
rule(
    "discussion.comment.report",
    member & may_read_comment,
    _("Only admitted members may report a comment."),
)
rule("discussion.report.resolve", network_steward, _("Only network stewards may do this."))
rule(
    "discussion.conversation.open",
    member & may_answer_listing,
    _("Only admitted members may write about someone else's open offer or want."),
)
rule(
    "discussion.conversation.read",
    is_conversation_party,
    _("Only the two sides of this conversation may read it."),
)
rule(
    "discussion.conversation.post",
    member & is_conversation_party,
    _("Only the two sides of this conversation may write in it."),
)

# notifications (applicants too: they are told of their application)
rule("notifications.inbox.use", authenticated, _("Log in to read your notifications."))
rule(
    "notifications.preferences.edit",
    authenticated,
    _("Log in to choose how you are notified."),
)
rule(
    "indicators.report.compute",
    system | network_steward,
    _("Only network stewards may compute the network report."),
)
rule("accounts.steward.set", network_steward, _("Only network stewards may name network stewards."))
rule(
    "governance.coop.found",
    network_steward | (member & is_operator),
    _("Only network stewards and the people who run this organisation may make it a co-op."),
)
rule(
    "ledger.listing.for_organisation",
    network_steward | (member & is_operator),
    _("Only the people who run this organisation may post offers and wants for it."),
)


@predicate
def is_external_auditor(actor: Any, obj: Any) -> bool:
    """A person holding the "external auditor" role of the indicators app."""
    from solidaria.indicators.assessments import is_external_auditor as audits

    return _is_person(actor) and audits(actor)


@predicate
def may_read_assessment(actor: Any, assessment: Any) -> bool:
    """A published balance by its visibility; before that, who runs, reviews or signs it."""
    from solidaria.indicators.assessments import may_read

    return may_read(actor, assessment)


rule(
    "indicators.assessment.edit",
    member & is_operator,
    _("Only the people who run this organisation may fill in its assessment."),
)
rule(
    "indicators.assessment.read",
    may_read_assessment,
    _("This balance is not open to you."),
)
rule(
    "indicators.assessment.review",
    member,
    _("Only operators of another organisation of the network may review this assessment."),
)
rule(
    "indicators.assessment.signoff",
    network_steward | is_external_auditor,
    _("Only network stewards and external auditors may sign off an assessment."),
)
rule(
    "indicators.catalogue.import",
    network_steward,
    _("Only network stewards may import a catalogue."),
)
rule(
    "indicators.auditor.grant",
    network_steward,
    _("Only network stewards may name external auditors."),
)
rule(
    "murmurations.node.list",
    network_steward,
    _("Only network stewards may see the profiles of this instance's index."),
)
rule(
    "indicators.auditor.withdraw",
    network_steward,
    _("Only network stewards may withdraw the external auditor role."),
)
rule(
    "federation.registration.retry",
    network_steward,
    _("Only network stewards may send profiles to the index."),
)
rule(
    "federation.profile.decide",
    network_steward,
    _("Only network stewards may approve entries from other networks."),
)
rule(
    "federation.subscription.manage",
    network_steward,
    _("Only network stewards may subscribe to other networks."),
)
rule(
    "creditcommons.link.manage",
    network_steward,
    _("Only network stewards may link this network with another network."),
)
