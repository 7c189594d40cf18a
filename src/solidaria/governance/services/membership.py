"""Co-ops, member classes and memberships: creating, applying, admitting, leaving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import is_member
from solidaria.governance.models import Cooperative, MemberClass, Membership
from solidaria.governance.services.permissions import (
    acting_user,
    require_coop_steward,
    require_network_steward,
)
from solidaria.notifications import events


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
    require_network_steward(actor)
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
    require_coop_steward(actor, coop)
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
    events.coop_application_received(actor=actor, membership=membership)
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
    require_coop_steward(actor, coop)
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
        decided_by=acting_user(actor),
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
    require_coop_steward(actor, membership.coop)
    return apply_decision(actor, membership, is_approved, reason)


def apply_decision(
    actor: Any, membership: Membership, is_approved: bool, reason: str
) -> Membership:
    if membership.status != Membership.Status.APPLIED:
        raise Conflict(_("this application was already decided"))
    now = timezone.now()
    membership.status = Membership.Status.ACTIVE if is_approved else Membership.Status.REJECTED
    membership.started_at = now if is_approved else None
    membership.ended_at = None if is_approved else now
    membership.decided_by = acting_user(actor)
    membership.decision_reason = reason
    membership.save()
    verb = "governance.membership.approve" if is_approved else "governance.membership.reject"
    audit.record(actor=actor, verb=verb, obj=membership, reason=reason)
    events.coop_application_decided(actor=actor, membership=membership)
    return membership


@transaction.atomic
def membership_end(*, actor: Any, membership: Membership | int, reason: str = "") -> Membership:
    """Leave (or be removed by a steward). The row stays, with its end date."""
    membership = _locked_membership(membership)
    is_self = is_member(actor) and membership.user_id == actor.pk
    if not is_self:
        require_coop_steward(actor, membership.coop)
    if membership.status != Membership.Status.ACTIVE:
        raise Conflict(_("only a current member can leave"))
    membership.status = Membership.Status.ENDED
    membership.ended_at = timezone.now()
    membership.decision_reason = reason
    membership.save()
    audit.record(actor=actor, verb="governance.membership.end", obj=membership, reason=reason)
    return membership
