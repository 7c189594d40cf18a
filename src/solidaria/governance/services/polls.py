"""Polls: opening them, casting ballots, closing them (by a steward or when due)
and stating their outcome.

Secret ballots (`Poll.is_anonymous`). What is stored never links a ballot to its voter:

* `Participation` (who took part) and `Ballot` (what was chosen) share no key, no
  timestamp and no order: a ballot's key is a random UUID.
* A ballot carries the weight of the voter's member *class* (the same number for every
  member of the class), never anything about the person.
* The audit journal records `governance.ballot.cast` for the poll with no actor and only
  the day (`audit.record(anonymous=True)`).
* Closing the poll *seals* its ballots: they are deleted and re-inserted in one
  transaction under fresh random keys, in key order, so insertion-order traces (SQLite's
  rowid, PostgreSQL's ctid and xmin) no longer follow the voting order.
* While the poll is open nobody (stewards included) sees a running count, the turnout or
  who took part, on pages or through the API; a voter sees only that they have voted.
  After it closes the result, the turnout and the list of participants are shown.

A ballot cannot be changed, in any poll: a second vote is refused with a reason that
says so. For a secret ballot, changing would need a way to find the voter's ballot again
(a receipt the voter keeps), and a receipt lets a voter prove their vote to whoever
pressures them; co-op polls are short and the form says before voting that the choice
is final. (Participatory budgeting, with weeks-long voting, takes the other path: see
`solidaria.budgeting.models`.)

Not covered, as in budgeting: an operator watching the live database while the poll is
open can see rows arrive (the physical traces are reset only at close), and backups
taken during voting keep the order.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import is_member
from solidaria.governance import queries
from solidaria.governance.models import (
    Ballot,
    Cooperative,
    Membership,
    OutcomeVersion,
    Participation,
    Poll,
    PollResult,
)
from solidaria.governance.services.membership import apply_decision
from solidaria.governance.services.permissions import acting_user, require_coop_steward
from solidaria.notifications import events

# The source of the keys drawn when ballots are sealed; tests put a seeded Random here.
_rng: random.Random = secrets.SystemRandom()


@transaction.atomic
def poll_create(
    *,
    actor: Any,
    coop: Cooperative,
    kind: str,
    title: str,
    closes_at: dt.datetime,
    body: str = "",
    options: Sequence[str] = (),
    settings: Mapping[str, Any] | None = None,
    seats: int = 1,
    is_anonymous: bool = False,
    is_results_hidden: bool = False,
    opens_at: dt.datetime | None = None,
    admission_for: Membership | None = None,
    previous_round: Poll | None = None,
    visibility: str = "members",
) -> Poll:
    """Open a poll to the co-op's current members; the electorate is fixed now."""
    require_coop_steward(actor, coop)
    if kind not in Poll.Kind.values:
        raise ValidationFailed(_("unknown kind of poll"), field="kind")
    if not title.strip():
        raise ValidationFailed(_("a poll needs a title"), field="title")
    if visibility not in ("public", "members"):
        raise ValidationFailed(_("choose public or members only"), field="visibility")
    options = [str(o).strip() for o in options if str(o).strip()]
    if kind in queries.OPTION_KINDS:
        if len(options) < 2:
            raise ValidationFailed(_("offer at least two options"), field="options")
        if len(set(options)) != len(options):
            raise ValidationFailed(_("options must be different"), field="options")
    else:
        options = []
    if kind == Poll.Kind.STV and not 1 <= seats < len(options):
        raise ValidationFailed(_("there must be fewer seats than candidates"), field="seats")
    now = timezone.now()
    opens_at = opens_at or now
    if closes_at <= max(opens_at, now):
        raise ValidationFailed(_("the poll must close in the future"), field="closes_at")
    clean_settings = queries.normalise_settings(kind, settings)
    if admission_for is not None and (
        kind != Poll.Kind.PROPOSAL or admission_for.status != Membership.Status.APPLIED
    ):
        raise ValidationFailed(_("only an open application can be put to a vote"))
    count, weight = queries.electorate(coop)
    poll = Poll.objects.create(
        coop=coop,
        kind=kind,
        title=title.strip(),
        body=body,
        options=options,
        settings=clean_settings,
        seats=seats if kind == Poll.Kind.STV else 1,
        is_anonymous=is_anonymous,
        is_results_hidden=is_results_hidden,
        visibility=visibility,
        opens_at=opens_at,
        closes_at=closes_at,
        electorate_count=count,
        electorate_weight=weight,
        admission_for=admission_for,
        previous_round=previous_round,
        round_number=previous_round.round_number + 1 if previous_round else 1,
        created_by=acting_user(actor),
    )
    audit.record(actor=actor, verb="governance.poll.create", obj=poll, data={"kind": kind})
    events.poll_opened(actor=actor, poll=poll)
    return poll


def vote_cast(*, actor: Any, poll: Poll | int, choice: Mapping[str, Any]) -> Participation:
    """Cast a ballot. Refused with a reason, storing nothing: after close, a second time
    (a ballot is final, see the module docstring), by someone who was not a member when
    the poll opened, or an invalid ballot."""
    poll_id = poll.pk if isinstance(poll, Poll) else poll
    close_if_due(poll_id)
    with transaction.atomic():
        found = Poll.objects.select_for_update().select_related("coop").filter(pk=poll_id).first()
        if found is None:
            raise NotFound(_("there is no such poll"))
        poll = found
        if not is_member(actor):
            raise PermissionDenied(_("log in to vote"))
        membership = queries.active_membership(actor, poll.coop)
        if membership is None or membership.started_at is None:
            raise PermissionDenied(_("only members of %(c)s may vote") % {"c": poll.coop.name})
        if membership.started_at > poll.created_at:
            raise PermissionDenied(_("you joined after this poll opened, so you cannot vote in it"))
        now = timezone.now()
        if poll.is_closed or now >= poll.closes_at:
            raise ValidationFailed(_("this poll is closed"), field="poll")
        if now < poll.opens_at:
            raise ValidationFailed(_("this poll is not open yet"), field="poll")
        if Participation.objects.filter(poll=poll, user=actor).exists():
            raise Conflict(_already_voted(poll))
        clean = queries.clean_choice(poll, choice)
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    poll=poll, user=actor, choice=None if poll.is_anonymous else clean
                )
        except IntegrityError:
            raise Conflict(_already_voted(poll)) from None
        # Consent, consensus, advice and time polls: one person, one voice. Weighted
        # kinds carry the class's weight, shared by everyone in the class.
        is_weighted = poll.kind in queries.WEIGHTED_KINDS
        weight = membership.member_class.vote_weight if is_weighted else 1
        Ballot.objects.create(id=_new_key(), poll=poll, weight=weight, choice=clean)
        # No actor and only the day: the journal cannot be lined up with participations.
        audit.record(actor=None, verb="governance.ballot.cast", obj=poll, anonymous=True)
        return participation


def _already_voted(poll: Poll) -> str:
    if poll.is_anonymous:
        return _("you have already voted in this poll; a secret ballot cannot be changed")
    return _("you have already voted in this poll")


def _new_key() -> uuid.UUID:
    return uuid.UUID(int=_rng.getrandbits(128), version=4)


def _seal_ballots(poll: Poll) -> int:
    """Rewrite the poll's ballots in this transaction under fresh random keys, inserted
    in key order: no insertion-order trace (rowid, ctid, xmin) follows the voting order."""
    rows = list(Ballot.objects.filter(poll=poll).values_list("weight", "choice"))
    Ballot.objects.filter(poll=poll).delete()  # the one exception to append-only, by design
    fresh = sorted(
        (Ballot(id=_new_key(), poll=poll, weight=w, choice=c) for w, c in rows),
        key=lambda b: b.id,
    )
    Ballot.objects.bulk_create(fresh, batch_size=2000)
    return len(fresh)


def _apply_allocation_later(poll_id: int) -> None:
    from solidaria.governance.tasks import apply_allocation

    apply_allocation.enqueue(poll_id)


def _close(poll_id: int, actor: Any) -> Poll:
    with transaction.atomic():
        poll = Poll.objects.select_for_update().select_related("coop").get(pk=poll_id)
        if poll.is_closed:
            return poll
        now = timezone.now()
        result = queries.tally(poll)
        data = dict(result.data)
        data["electorate"] = {"members": poll.electorate_count, "weight": poll.electorate_weight}
        data["turnout"] = poll.participations.count()
        poll.closed_at = now
        poll.save(update_fields=["closed_at"])
        sealed = _seal_ballots(poll) if poll.is_anonymous else None
        PollResult.objects.create(
            poll=poll,
            outcome=result.outcome,
            data=data,
            engine_version=result.engine_version,
            computed_at=now,
        )
        OutcomeVersion.objects.create(
            poll=poll, version=1, statement=result.statement, author=None, created_at=now
        )
        if poll.admission_for_id is not None:
            membership = Membership.objects.select_for_update().get(pk=poll.admission_for_id)
            if membership.status == Membership.Status.APPLIED:
                apply_decision(None, membership, result.outcome == "passed", result.statement)
        if poll.allocation_for_id is not None and result.outcome == "passed":
            # The general assembly accepted a surplus allocation: it is applied once this
            # close has committed (a task; see `allocation.allocation_apply_by_poll`).
            transaction.on_commit(functools.partial(_apply_allocation_later, poll.pk))
        audit.record(
            actor=actor,
            verb="governance.poll.close",
            obj=poll,
            data={"outcome": result.outcome, "sealed_ballots": sealed},
        )
        events.poll_closed(actor=actor, poll=poll, outcome=result.outcome)
        return poll


@transaction.atomic
def poll_close(*, actor: Any, poll: Poll | int) -> Poll:
    """A steward closes a poll before its deadline."""
    pk = poll.pk if isinstance(poll, Poll) else poll
    found = Poll.objects.select_related("coop").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such poll"))
    require_coop_steward(actor, found.coop)
    if found.is_closed:
        raise Conflict(_("this poll is already closed"))
    return _close(pk, actor)


def close_if_due(poll: Poll | int, *, now: dt.datetime | None = None) -> bool:
    """Close the poll if its deadline passed (the page-load fallback to the task)."""
    pk = poll.pk if isinstance(poll, Poll) else poll
    now = now or timezone.now()
    if Poll.objects.filter(pk=pk, closed_at__isnull=True, closes_at__lte=now).exists():
        _close(pk, None)
        return True
    return False


def close_due_polls(*, now: dt.datetime | None = None) -> int:
    """Close every poll past its deadline; returns how many were closed."""
    now = now or timezone.now()
    due = Poll.objects.filter(closed_at__isnull=True, closes_at__lte=now).order_by("pk")
    return sum(1 for pk in list(due.values_list("pk", flat=True)) if close_if_due(pk, now=now))


@transaction.atomic
def outcome_add(*, actor: Any, poll: Poll | int, statement: str) -> OutcomeVersion:
    """A new version of the outcome statement; earlier versions stay."""
    pk = poll.pk if isinstance(poll, Poll) else poll
    found = Poll.objects.select_for_update().select_related("coop").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such poll"))
    require_coop_steward(actor, found.coop)
    if not found.is_closed:
        raise ValidationFailed(_("the outcome is stated once the poll is closed"), field="poll")
    if not statement.strip():
        raise ValidationFailed(_("write the outcome statement"), field="statement")
    last = found.outcomes.order_by("-version").values_list("version", flat=True).first() or 0
    version = OutcomeVersion.objects.create(
        poll=found,
        version=last + 1,
        statement=statement.strip(),
        author=acting_user(actor),
        created_at=timezone.now(),
    )
    audit.record(actor=actor, verb="governance.outcome.add", obj=version)
    return version
