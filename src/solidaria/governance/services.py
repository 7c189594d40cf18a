"""Every write in governance: one function per use case, each in one transaction.

Checks come first and raise a `DomainError` with a reason; nothing is written on a
refusal. Value-moving writes (share register, allocation) take an optional idempotency
key and lock the co-op row, which also serialises the register's numbering.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from solidaria.core import audit, idempotency
from solidaria.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import is_member, is_steward
from solidaria.governance import queries
from solidaria.governance.engine.allocation import (
    AllocationError,
    Patronage,
    allocate_surplus,
)
from solidaria.governance.engine.bylaws import BylawsError, bylaws_from_dict
from solidaria.governance.models import (
    AllocationAcceptance,
    AllocationLine,
    AllocationRun,
    Ballot,
    BylawsVersion,
    CapitalEntry,
    Cooperative,
    MemberClass,
    Membership,
    OutcomeVersion,
    Participation,
    PatronageInput,
    Poll,
    PollResult,
    ShareType,
)

# --- permissions ---------------------------------------------------------------------


def _require_network_steward(actor: Any) -> None:
    if actor is not None and not is_steward(actor):
        raise PermissionDenied(_("only stewards may do this"))


def _require_coop_steward(actor: Any, coop: Cooperative) -> None:
    """`actor=None` is the system itself (demo loader, background tasks)."""
    if actor is not None and not queries.is_coop_steward(actor, coop):
        raise PermissionDenied(_("only the co-op's stewards may do this"))


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- co-ops and members -----------------------------------------------------------------


@transaction.atomic
def coop_create(
    *,
    actor: Any,
    name: str,
    slug: str = "",
    description: str = "",
    currency: Any = None,
    classes: Sequence[tuple[str, int]] = (),
) -> Cooperative:
    _require_network_steward(actor)
    if not name.strip():
        raise ValidationFailed(_("a co-op needs a name"), field="name")
    slug = slugify(slug or name)[:60]
    if Cooperative.objects.filter(slug=slug).exists():
        raise Conflict(_("a co-op called %(s)s exists already") % {"s": slug}, field="slug")
    coop = Cooperative.objects.create(
        name=name.strip(), slug=slug, description=description, currency=currency
    )
    for class_name, weight in classes:
        member_class_create(actor=actor, coop=coop, name=class_name, vote_weight=weight)
    audit.record(actor=actor, verb="governance.coop.create", obj=coop)
    return coop


@transaction.atomic
def member_class_create(
    *, actor: Any, coop: Cooperative, name: str, vote_weight: int, description: str = ""
) -> MemberClass:
    _require_coop_steward(actor, coop)
    if isinstance(vote_weight, bool) or not isinstance(vote_weight, int) or vote_weight < 0:
        raise ValidationFailed(_("a vote weight is a whole number, 0 or more"), field="vote_weight")
    if MemberClass.objects.filter(coop=coop, name=name).exists():
        raise Conflict(_("the class %(n)s exists already") % {"n": name}, field="name")
    member_class = MemberClass.objects.create(
        coop=coop, name=name, vote_weight=vote_weight, description=description
    )
    audit.record(actor=actor, verb="governance.class.create", obj=member_class)
    return member_class


def _class_of(coop: Cooperative, member_class: MemberClass | int) -> MemberClass:
    pk = member_class.pk if isinstance(member_class, MemberClass) else member_class
    found = MemberClass.objects.filter(coop=coop, pk=pk).first()
    if found is None:
        raise ValidationFailed(_("choose one of this co-op's member classes"), field="member_class")
    return found


@transaction.atomic
def membership_apply(
    *, actor: Any, coop: Cooperative, member_class: MemberClass | int, motivation: str = ""
) -> Membership:
    """A network member asks to join; a steward (or a poll) decides."""
    if not is_member(actor):
        raise PermissionDenied(_("log in to apply"))
    member_class = _class_of(coop, member_class)
    if Membership.objects.filter(
        coop=coop, user=actor, status__in=[Membership.Status.APPLIED, Membership.Status.ACTIVE]
    ).exists():
        raise Conflict(_("you are already a member or have applied"))
    membership = Membership.objects.create(
        coop=coop,
        user=actor,
        member_class=member_class,
        motivation=motivation.strip(),
        applied_at=timezone.now(),
    )
    audit.record(actor=actor, verb="governance.membership.apply", obj=membership)
    return membership


@transaction.atomic
def membership_add(
    *,
    actor: Any,
    coop: Cooperative,
    user: Any,
    member_class: MemberClass | int,
    is_coop_steward: bool = False,
) -> Membership:
    """A steward admits someone directly (founding members, imports)."""
    _require_coop_steward(actor, coop)
    member_class = _class_of(coop, member_class)
    if Membership.objects.filter(
        coop=coop, user=user, status__in=[Membership.Status.APPLIED, Membership.Status.ACTIVE]
    ).exists():
        raise Conflict(_("%(u)s is already a member or has applied") % {"u": user.username})
    now = timezone.now()
    membership = Membership.objects.create(
        coop=coop,
        user=user,
        member_class=member_class,
        status=Membership.Status.ACTIVE,
        is_steward=is_coop_steward,
        applied_at=now,
        started_at=now,
        decided_by=_user(actor),
    )
    audit.record(actor=actor, verb="governance.membership.add", obj=membership)
    return membership


def _locked_membership(membership: Membership | int) -> Membership:
    pk = membership.pk if isinstance(membership, Membership) else membership
    found = Membership.objects.select_for_update().select_related("coop").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such membership"))
    return found


@transaction.atomic
def membership_decide(
    *, actor: Any, membership: Membership | int, is_approved: bool, reason: str = ""
) -> Membership:
    membership = _locked_membership(membership)
    _require_coop_steward(actor, membership.coop)
    return _decide(actor, membership, is_approved, reason)


def _decide(actor: Any, membership: Membership, is_approved: bool, reason: str) -> Membership:
    if membership.status != Membership.Status.APPLIED:
        raise Conflict(_("this application was already decided"))
    now = timezone.now()
    membership.status = Membership.Status.ACTIVE if is_approved else Membership.Status.REJECTED
    membership.started_at = now if is_approved else None
    membership.ended_at = None if is_approved else now
    membership.decided_by = _user(actor)
    membership.decision_reason = reason
    membership.save()
    verb = "governance.membership.approve" if is_approved else "governance.membership.reject"
    audit.record(actor=actor, verb=verb, obj=membership, reason=reason)
    return membership


@transaction.atomic
def membership_end(*, actor: Any, membership: Membership | int, reason: str = "") -> Membership:
    """Leave (or be removed by a steward). The row stays, with its end date."""
    membership = _locked_membership(membership)
    is_self = is_member(actor) and membership.user_id == actor.pk
    if not is_self:
        _require_coop_steward(actor, membership.coop)
    if membership.status != Membership.Status.ACTIVE:
        raise Conflict(_("only a current member can leave"))
    membership.status = Membership.Status.ENDED
    membership.ended_at = timezone.now()
    membership.decision_reason = reason
    membership.save()
    audit.record(actor=actor, verb="governance.membership.end", obj=membership, reason=reason)
    return membership


# --- capital register --------------------------------------------------------------------


@transaction.atomic
def share_type_create(
    *,
    actor: Any,
    coop: Cooperative,
    name: str,
    nominal_minor: int,
    min_holding: int = 0,
    max_holding: int | None = None,
) -> ShareType:
    _require_coop_steward(actor, coop)
    if isinstance(nominal_minor, bool) or not isinstance(nominal_minor, int) or nominal_minor <= 0:
        raise ValidationFailed(_("the nominal value must be more than zero"), field="nominal")
    if min_holding < 0 or (max_holding is not None and max_holding < min_holding):
        raise ValidationFailed(
            _("the maximum holding must be at least the minimum"), field="max_holding"
        )
    if ShareType.objects.filter(coop=coop, name=name).exists():
        raise Conflict(_("the share type %(n)s exists already") % {"n": name}, field="name")
    share_type = ShareType.objects.create(
        coop=coop,
        name=name,
        nominal_minor=nominal_minor,
        min_holding=min_holding,
        max_holding=max_holding,
    )
    audit.record(actor=actor, verb="governance.share_type.create", obj=share_type)
    return share_type


def _lock_coop(coop: Cooperative) -> Cooperative:
    return Cooperative.objects.select_for_update().get(pk=coop.pk)


def _next_seq(coop: Cooperative) -> int:
    last = CapitalEntry.objects.filter(coop=coop).order_by("-seq").values_list("seq", flat=True)
    return (last.first() or 0) + 1


def _quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed(_("the number of shares must be more than zero"), field="quantity")
    return quantity


def _share_type_of(coop: Cooperative, share_type: ShareType | int) -> ShareType:
    pk = share_type.pk if isinstance(share_type, ShareType) else share_type
    found = ShareType.objects.filter(coop=coop, pk=pk).first()
    if found is None:
        raise ValidationFailed(_("choose one of this co-op's share types"), field="share_type")
    return found


def _keyed(
    *, scope: str, actor: Any, key: str | None, request: dict[str, Any], work: Any
) -> CapitalEntry:
    """Run `work` once per idempotency key (no key: always run)."""
    if not key:
        return work()  # type: ignore[no-any-return]
    namespaced = f"{getattr(actor, 'pk', None) or 'system'}:{str(key).strip()[:100]}"
    try:
        with transaction.atomic():
            existing = idempotency.lookup(scope=scope, key=namespaced, request=request)
            if existing is not None:
                return CapitalEntry.objects.get(pk=existing)
            entry = work()
            idempotency.remember(
                scope=scope, key=namespaced, request=request, result=entry, actor=_user(actor)
            )
            return entry  # type: ignore[no-any-return]
    except IntegrityError:
        raise Conflict(_("this request clashed with another one; please try again")) from None


def _entry(
    coop: Cooperative,
    seq: int,
    membership: Membership,
    kind: str,
    share_type: ShareType | None,
    quantity: int,
    amount: int,
    actor: Any,
    now: dt.datetime,
    **extra: Any,
) -> CapitalEntry:
    return CapitalEntry.objects.create(
        coop=coop,
        seq=seq,
        membership=membership,
        kind=kind,
        share_type=share_type,
        quantity=quantity,
        amount_minor=amount,
        created_by=_user(actor),
        created_at=now,
        **extra,
    )


@transaction.atomic
def shares_subscribe(
    *,
    actor: Any,
    membership: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """A member subscribes shares (recorded by a steward once paid)."""
    coop = membership.coop
    _require_coop_steward(actor, coop)
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    request = {"op": "subscribe", "m": membership.pk, "t": share_type.pk, "q": quantity}

    def work() -> CapitalEntry:
        locked = _lock_coop(coop)
        m = Membership.objects.get(pk=membership.pk)
        if m.status != Membership.Status.ACTIVE:
            raise ValidationFailed(_("only current members can subscribe shares"), field="member")
        if not share_type.is_active:
            raise ValidationFailed(_("this share type is closed"), field="share_type")
        after = queries.holding(m, share_type) + quantity
        if share_type.max_holding is not None and after > share_type.max_holding:
            raise ValidationFailed(
                _("%(u)s would hold %(n)s shares; at most %(max)s are allowed")
                % {"u": m.user.username, "n": after, "max": share_type.max_holding},
                field="quantity",
            )
        if after < share_type.min_holding:
            raise ValidationFailed(
                _("a member holds at least %(min)s shares of this type")
                % {"min": share_type.min_holding},
                field="quantity",
            )
        entry = _entry(
            locked,
            _next_seq(locked),
            m,
            CapitalEntry.Kind.SUBSCRIPTION,
            share_type,
            quantity,
            quantity * share_type.nominal_minor,
            actor,
            timezone.now(),
            memo=memo[:200],
        )
        audit.record(actor=actor, verb="governance.shares.subscribe", obj=entry, data=request)
        return entry

    return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)


@transaction.atomic
def shares_transfer(
    *,
    actor: Any,
    seller: Membership,
    buyer: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """Shares pass from one member to another: two register lines with one group id.
    The seller may do it; so may a steward. More than the seller holds is refused."""
    coop = seller.coop
    is_seller = is_member(actor) and seller.user_id == getattr(actor, "pk", None)
    if not is_seller:
        _require_coop_steward(actor, coop)
    if buyer.coop_id != coop.pk:
        raise ValidationFailed(_("the buyer is not a member of this co-op"), field="buyer")
    if buyer.pk == seller.pk:
        raise ValidationFailed(_("the seller and the buyer are the same member"), field="buyer")
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    request = {"op": "transfer", "s": seller.pk, "b": buyer.pk, "t": share_type.pk, "q": quantity}

    def work() -> CapitalEntry:
        locked = _lock_coop(coop)
        s = Membership.objects.select_related("user").get(pk=seller.pk)
        b = Membership.objects.select_related("user").get(pk=buyer.pk)
        if b.status != Membership.Status.ACTIVE:
            raise ValidationFailed(_("shares can only pass to a current member"), field="buyer")
        held = queries.holding(s, share_type)
        if quantity > held:
            raise ValidationFailed(
                _("%(u)s holds %(held)s %(type)s shares and cannot transfer %(n)s")
                % {"u": s.user.username, "held": held, "type": share_type.name, "n": quantity},
                field="quantity",
            )
        if s.status == Membership.Status.ACTIVE and held - quantity < share_type.min_holding:
            raise ValidationFailed(
                _("a current member keeps at least %(min)s shares of this type")
                % {"min": share_type.min_holding},
                field="quantity",
            )
        after = queries.holding(b, share_type) + quantity
        if share_type.max_holding is not None and after > share_type.max_holding:
            raise ValidationFailed(
                _("%(u)s would hold %(n)s shares; at most %(max)s are allowed")
                % {"u": b.user.username, "n": after, "max": share_type.max_holding},
                field="quantity",
            )
        now, group, seq = timezone.now(), uuid.uuid4(), _next_seq(locked)
        amount = quantity * share_type.nominal_minor
        out = _entry(
            locked,
            seq,
            s,
            CapitalEntry.Kind.TRANSFER_OUT,
            share_type,
            -quantity,
            -amount,
            actor,
            now,
            group=group,
            counterparty=b,
            memo=memo[:200],
        )
        _entry(
            locked,
            seq + 1,
            b,
            CapitalEntry.Kind.TRANSFER_IN,
            share_type,
            quantity,
            amount,
            actor,
            now,
            group=group,
            counterparty=s,
            memo=memo[:200],
        )
        audit.record(actor=actor, verb="governance.shares.transfer", obj=out, data=request)
        return out

    return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)


@transaction.atomic
def shares_redeem(
    *,
    actor: Any,
    membership: Membership,
    share_type: ShareType | int,
    quantity: int,
    memo: str = "",
    key: str | None = None,
) -> CapitalEntry:
    """The co-op buys shares back (typically when a member leaves)."""
    coop = membership.coop
    _require_coop_steward(actor, coop)
    quantity = _quantity(quantity)
    share_type = _share_type_of(coop, share_type)
    request = {"op": "redeem", "m": membership.pk, "t": share_type.pk, "q": quantity}

    def work() -> CapitalEntry:
        locked = _lock_coop(coop)
        m = Membership.objects.select_related("user").get(pk=membership.pk)
        held = queries.holding(m, share_type)
        if quantity > held:
            raise ValidationFailed(
                _("%(u)s holds %(held)s %(type)s shares and cannot redeem %(n)s")
                % {"u": m.user.username, "held": held, "type": share_type.name, "n": quantity},
                field="quantity",
            )
        if m.status == Membership.Status.ACTIVE and held - quantity < share_type.min_holding:
            raise ValidationFailed(
                _("a current member keeps at least %(min)s shares of this type")
                % {"min": share_type.min_holding},
                field="quantity",
            )
        entry = _entry(
            locked,
            _next_seq(locked),
            m,
            CapitalEntry.Kind.REDEMPTION,
            share_type,
            -quantity,
            -quantity * share_type.nominal_minor,
            actor,
            timezone.now(),
            memo=memo[:200],
        )
        audit.record(actor=actor, verb="governance.shares.redeem", obj=entry, data=request)
        return entry

    return _keyed(scope="governance.capital", actor=actor, key=key, request=request, work=work)


# --- polls ---------------------------------------------------------------------------------


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
) -> Poll:
    """Open a poll to the co-op's current members; the electorate is fixed now."""
    _require_coop_steward(actor, coop)
    if kind not in Poll.Kind.values:
        raise ValidationFailed(_("unknown kind of poll"), field="kind")
    if not title.strip():
        raise ValidationFailed(_("a poll needs a title"), field="title")
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
        opens_at=opens_at,
        closes_at=closes_at,
        electorate_count=count,
        electorate_weight=weight,
        admission_for=admission_for,
        previous_round=previous_round,
        round_number=previous_round.round_number + 1 if previous_round else 1,
        created_by=_user(actor),
    )
    audit.record(actor=actor, verb="governance.poll.create", obj=poll, data={"kind": kind})
    return poll


def vote_cast(*, actor: Any, poll: Poll | int, choice: Mapping[str, Any]) -> Participation:
    """Cast a ballot. Refused with a reason, storing nothing: after close, a second time,
    by someone who was not a member when the poll opened, or an invalid ballot."""
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
            raise Conflict(_("you have already voted in this poll"))
        clean = queries.clean_choice(poll, choice)
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    poll=poll, user=actor, choice=None if poll.is_anonymous else clean
                )
        except IntegrityError:
            raise Conflict(_("you have already voted in this poll")) from None
        # Consent, consensus, advice and time polls: one person, one voice.
        is_weighted = poll.kind in queries.WEIGHTED_KINDS
        weight = membership.member_class.vote_weight if is_weighted else 1
        Ballot.objects.create(poll=poll, weight=weight, choice=clean)
        # No audit event: it would carry a timestamp next to the voter's name.
        return participation


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
                _decide(None, membership, result.outcome == "passed", result.statement)
        audit.record(
            actor=actor, verb="governance.poll.close", obj=poll, data={"outcome": result.outcome}
        )
        return poll


@transaction.atomic
def poll_close(*, actor: Any, poll: Poll | int) -> Poll:
    """A steward closes a poll before its deadline."""
    pk = poll.pk if isinstance(poll, Poll) else poll
    found = Poll.objects.select_related("coop").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such poll"))
    _require_coop_steward(actor, found.coop)
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
    _require_coop_steward(actor, found.coop)
    if not found.is_closed:
        raise ValidationFailed(_("the outcome is stated once the poll is closed"), field="poll")
    if not statement.strip():
        raise ValidationFailed(_("write the outcome statement"), field="statement")
    last = found.outcomes.order_by("-version").values_list("version", flat=True).first() or 0
    version = OutcomeVersion.objects.create(
        poll=found,
        version=last + 1,
        statement=statement.strip(),
        author=_user(actor),
        created_at=timezone.now(),
    )
    audit.record(actor=actor, verb="governance.outcome.add", obj=version)
    return version


# --- surplus allocation -------------------------------------------------------------------


@transaction.atomic
def bylaws_create(
    *, actor: Any, coop: Cooperative, data: Mapping[str, Any], effective_from: dt.date
) -> BylawsVersion:
    """Store a new bylaws version after the engine validated it."""
    _require_coop_steward(actor, coop)
    try:
        bylaws = bylaws_from_dict(data)
    except BylawsError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None
    if BylawsVersion.objects.filter(coop=coop, version=bylaws.version).exists():
        raise Conflict(
            _("bylaws version %(v)s exists already") % {"v": bylaws.version}, field="version"
        )
    stored = bylaws.as_dict()
    stored["effective_from"] = effective_from.isoformat()
    version = BylawsVersion.objects.create(
        coop=coop,
        version=bylaws.version,
        effective_from=effective_from,
        data=stored,
        created_by=_user(actor),
        created_at=timezone.now(),
    )
    audit.record(actor=actor, verb="governance.bylaws.create", obj=version)
    return version


def bylaws_in_force(coop: Cooperative, on: dt.date) -> BylawsVersion | None:
    return coop.bylaws.filter(effective_from__lte=on).order_by("-effective_from", "-id").first()


@dataclass(frozen=True)
class PatronageRow:
    """One member's input: minutes worked and purchases in minor units."""

    username: str
    hours_minutes: int = 0
    purchases_minor: int = 0


@transaction.atomic
def allocation_run_create(
    *,
    actor: Any,
    coop: Cooperative,
    year: int,
    surplus_minor: int,
    patronage: Sequence[PatronageRow],
    bylaws: BylawsVersion | None = None,
) -> AllocationRun:
    """Compute a year's allocation with the engine and store it with its bylaws version."""
    _require_coop_steward(actor, coop)
    if isinstance(surplus_minor, bool) or not isinstance(surplus_minor, int) or surplus_minor < 0:
        raise ValidationFailed(
            _("the surplus is a whole number of cents, 0 or more"), field="surplus"
        )
    if not 1900 <= year <= 3000:
        raise ValidationFailed(_("give a calendar year"), field="year")
    if bylaws is None:
        bylaws = bylaws_in_force(coop, dt.date(year, 12, 31))
    if bylaws is None or bylaws.coop_id != coop.pk:
        raise ValidationFailed(_("the co-op has no bylaws in force for that year"), field="bylaws")
    if not patronage:
        raise ValidationFailed(_("give at least one member's patronage"), field="patronage")
    memberships: list[Membership] = []
    for row in patronage:
        if row.hours_minutes < 0 or row.purchases_minor < 0:
            raise ValidationFailed(
                _("member %(u)s: patronage cannot be negative") % {"u": row.username},
                field="patronage",
            )
        memberships.append(queries.find_member(coop, row.username, field="patronage"))
    try:
        rules = bylaws_from_dict(bylaws.data)
        allocation = allocate_surplus(
            surplus_minor,
            rules,
            [
                Patronage(r.username, Fraction(r.hours_minutes, 60), Fraction(r.purchases_minor))
                for r in patronage
            ],
        )
    except BylawsError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None
    except AllocationError as exc:
        raise ValidationFailed(str(exc), field="patronage") from None
    result = {
        "surplus_cents": allocation.surplus_cents,
        "residue_cents": allocation.residue_cents,
        "bylaws": rules.as_dict(),
        "members": [
            {
                "member": m.member,
                "patronage_share": str(m.patronage_share),
                "cents": m.cents,
                "cash_cents": m.cash_cents,
                "capital_cents": m.capital_cents,
            }
            for m in allocation.members
        ],
        "funds": [{"account": f.account, "cents": f.cents} for f in allocation.funds],
    }
    run = AllocationRun.objects.create(
        coop=coop,
        year=year,
        surplus_minor=surplus_minor,
        bylaws=bylaws,
        result=result,
        engine_version=allocation.engine_version,
        created_by=_user(actor),
        created_at=timezone.now(),
    )
    PatronageInput.objects.bulk_create(
        PatronageInput(
            run=run,
            membership=m,
            hours_minutes=r.hours_minutes,
            purchases_minor=r.purchases_minor,
        )
        for m, r in zip(memberships, patronage, strict=True)
    )
    AllocationLine.objects.bulk_create(
        [
            AllocationLine(
                run=run,
                membership=m,
                account=share.member,
                cents=share.cents,
                cash_cents=share.cash_cents,
                capital_cents=share.capital_cents,
                exact=str(share.exact_cents),
            )
            for m, share in zip(memberships, allocation.members, strict=True)
        ]
        + [
            AllocationLine(
                run=run,
                account=f.account,
                cents=f.cents,
                cash_cents=f.cents,  # a fund's share is paid into its ledger account
                exact=str(f.exact_cents),
            )
            for f in allocation.funds
        ]
    )
    audit.record(
        actor=actor,
        verb="governance.allocation.create",
        obj=run,
        data={"year": year, "surplus": surplus_minor, "bylaws": bylaws.version},
    )
    return run


def coop_account_name(coop: Cooperative, fund: str = "") -> str:
    return f"coop:{coop.slug}" + (f":{fund}" if fund else "")


def _system_account(currency: Any, name: str) -> Any:
    """The co-op's own system account (no owner, no limit), made like the ledger makes its
    network account: `ledger.services.account_open` refuses system accounts."""
    from solidaria.ledger.models import Account

    account, _created = Account.objects.get_or_create(
        currency=currency,
        kind=Account.Kind.SYSTEM,
        name=name,
        defaults={"credit_limit": None, "upper_limit": None},
    )
    return account


def allocation_accept(*, actor: Any, run: AllocationRun | int) -> AllocationAcceptance:
    """Apply a run: cash parts and fund parts as one ledger batch from the co-op's system
    account, capital credits as register entries; all in one transaction. Accepting again
    returns the first acceptance and moves nothing."""
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import TransferBatch

    pk = run.pk if isinstance(run, AllocationRun) else run
    found = AllocationRun.objects.select_related("coop").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such allocation run"))
    coop = found.coop
    _require_coop_steward(actor, coop)
    with transaction.atomic():
        locked = _lock_coop(coop)
        existing = AllocationAcceptance.objects.filter(run=found).first()
        if existing is not None:
            return existing
        if AllocationAcceptance.objects.filter(coop=coop, year=found.year).exists():
            raise Conflict(
                _("another allocation for %(y)s was accepted already") % {"y": found.year}
            )
        if locked.currency is None:
            raise ValidationFailed(_("set the co-op's currency before paying out a surplus"))
        currency = locked.currency
        source = _system_account(currency, coop_account_name(coop))
        lines: list[tuple[int, int, str, str]] = []
        memo = _("surplus %(y)s") % {"y": found.year}
        now = timezone.now()
        seq = _next_seq(locked)
        for line in found.lines.select_related("membership__user").order_by("pk"):
            if line.membership is not None:
                if line.cash_cents > 0:
                    account = ledger.account_open(
                        actor=None, currency=currency, owner=line.membership.user
                    )
                    lines.append((account.pk, line.cash_cents, memo, "surplus-cash"))
                if line.capital_cents > 0:
                    _entry(
                        locked,
                        seq,
                        line.membership,
                        CapitalEntry.Kind.CAPITAL_CREDIT,
                        None,
                        0,
                        line.capital_cents,
                        actor,
                        now,
                        allocation_run=found,
                        memo=memo,
                    )
                    seq += 1
            elif line.cents > 0:
                fund = _system_account(currency, coop_account_name(coop, line.account))
                lines.append((fund.pk, line.cents, memo, f"surplus-{line.account}"[:64]))
        batch: TransferBatch | None = None
        if lines:
            batch = ledger.bulk_transfer(
                actor=None,
                kind=TransferBatch.Kind.ONE_TO_MANY,
                counterparty=source,
                lines=lines,
                memo=memo,
                key=f"governance-allocation-{found.pk}",
            )
        acceptance = AllocationAcceptance.objects.create(
            run=found,
            coop=coop,
            year=found.year,
            accepted_by=_user(actor),
            accepted_at=now,
            ledger_batch=batch,
        )
        audit.record(
            actor=actor,
            verb="governance.allocation.accept",
            obj=found,
            data={"batch": batch.pk if batch else None},
        )
        return acceptance
