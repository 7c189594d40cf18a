"""The people who run an organisation (operators): claimed, confirmed, ended.

A member claims a confirmed organisation of the directory ("I run this") saying how
they are involved; a network steward confirms or declines the claim with a reason. A
confirmed operator may ask for the organisation's ledger accounts, grant rights on them
(`ledger.operators`) and found its co-op. An operator leaves, or a steward removes them,
with a reason. Every change is one transaction with an audit event
(`directory.operator.claim|confirm|decline|leave|remove`); rows are never deleted.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core.audit import record
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM, is_member, require
from solidaria.directory.models import Operator, Organisation
from solidaria.notifications import events


def _acting(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def is_operator(user: Any, organisation: Any) -> bool:
    """`user` is a confirmed operator of `organisation` (an admitted member)."""
    if organisation is None or user is SYSTEM or not is_member(user):
        return False
    org_id = getattr(organisation, "pk", organisation)
    return Operator.objects.filter(
        organisation_id=org_id, user_id=user.pk, status=Operator.Status.CONFIRMED
    ).exists()


def operators_of(organisation: Organisation) -> QuerySet[Operator]:
    return Operator.objects.filter(
        organisation=organisation, status=Operator.Status.CONFIRMED
    ).select_related("user")


def organisations_run_by(user: Any) -> QuerySet[Organisation]:
    """The confirmed organisations `user` is a confirmed operator of."""
    if user is SYSTEM or not is_member(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        status=Organisation.Status.CONFIRMED,
        operators__user_id=user.pk,
        operators__status=Operator.Status.CONFIRMED,
    ).order_by("name")


def open_claim(user: Any, organisation: Organisation) -> Operator | None:
    """The user's claim on the organisation that is waiting or confirmed, if any."""
    if not getattr(user, "pk", None):
        return None
    return Operator.objects.filter(
        organisation=organisation,
        user_id=user.pk,
        status__in=[Operator.Status.CLAIMED, Operator.Status.CONFIRMED],
    ).first()


def pending_claims() -> QuerySet[Operator]:
    return Operator.objects.filter(status=Operator.Status.CLAIMED).select_related(
        "organisation", "user"
    )


def operator_claim(*, actor: Any, org_id: int, reason: str) -> Operator:
    """An admitted member says they run a confirmed organisation; a steward decides."""
    require(actor, "directory.operator.claim")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say how you are involved in this organisation."), field="reason")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(pk=org_id).first()
        if org is None:
            raise NotFound(_("There is no such organisation."))
        if org.status != Organisation.Status.CONFIRMED:
            raise ValidationFailed(
                _("Only organisations confirmed in the directory can be claimed."),
                field="organisation",
            )
        existing = open_claim(actor, org)
        if existing is not None:
            raise Conflict(
                _("You already run this organisation.")
                if existing.status == Operator.Status.CONFIRMED
                else _("Your claim on this organisation is waiting for a steward.")
            )
        claim = Operator.objects.create(
            organisation=org, user=actor, reason=reason[:2000], claimed_at=timezone.now()
        )
        record(
            actor=actor,
            verb="directory.operator.claim",
            obj=org,
            reason=reason,
            data={"operator": claim.pk, "user": actor.pk},
        )
        events.operator_claimed(actor=actor, claim=claim)
    return claim


def _locked(operator_id: int) -> Operator:
    found = (
        Operator.objects.select_for_update()
        .select_related("organisation", "user")
        .filter(pk=operator_id)
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such claim."))
    return found


def operator_decide(*, actor: Any, operator_id: int, decision: str, reason: str = "") -> Operator:
    """A network steward confirms a claim or declines it (saying why)."""
    require(actor, "directory.operator.decide")
    if decision not in ("confirm", "decline"):
        raise ValidationFailed(_("The decision must be confirm or decline."), field="decision")
    reason = (reason or "").strip()
    if decision == "decline" and not reason:
        raise ValidationFailed(_("Say why the claim is declined."), field="reason")
    with transaction.atomic():
        claim = _locked(operator_id)
        target = Operator.Status.CONFIRMED if decision == "confirm" else Operator.Status.DECLINED
        if claim.status == target:
            return claim
        if claim.status != Operator.Status.CLAIMED:
            raise Conflict(_("This claim was already decided."))
        if decision == "confirm" and not is_member(claim.user):
            raise ValidationFailed(_("Only an admitted member can run an organisation here."))
        claim.status = target
        claim.decided_by, claim.decided_at = _acting(actor), timezone.now()
        claim.decision_reason = reason
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record(
            actor=actor,
            verb=f"directory.operator.{decision}",
            obj=claim.organisation,
            reason=reason,
            data={"operator": claim.pk, "user": claim.user_id},
        )
        events.operator_decided(actor=actor, claim=claim)
    return claim


def operator_end(*, actor: Any, operator_id: int, reason: str = "") -> Operator:
    """An operator leaves, or a network steward removes them (saying why). A claim still
    waiting may be withdrawn the same way."""
    with transaction.atomic():
        claim = _locked(operator_id)
        require(actor, "directory.operator.end", claim)
        reason = (reason or "").strip()
        leaving = getattr(actor, "pk", None) == claim.user_id
        if not leaving and not reason:
            raise ValidationFailed(_("Say why this person no longer runs it."), field="reason")
        if claim.status == Operator.Status.ENDED:
            return claim
        if claim.status not in (Operator.Status.CLAIMED, Operator.Status.CONFIRMED):
            raise Conflict(_("This claim was declined; there is nothing to end."))
        claim.status = Operator.Status.ENDED
        claim.ended_by, claim.ended_at, claim.end_reason = _acting(actor), timezone.now(), reason
        claim.save(update_fields=["status", "ended_by", "ended_at", "end_reason"])
        record(
            actor=actor,
            verb="directory.operator.leave" if leaving else "directory.operator.remove",
            obj=claim.organisation,
            reason=reason,
            data={"operator": claim.pk, "user": claim.user_id},
        )
    return claim


def organisation_publish(
    *, actor: Any, org_id: int, shows_coop_facts: bool, shows_listings: bool
) -> Organisation:
    """The organisation's operators (or a network steward) choose what its page shows
    beyond the directory entry."""
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(pk=org_id).first()
        if org is None:
            raise NotFound(_("There is no such organisation."))
        require(actor, "directory.organisation.publish", org)
        before = {"shows_coop_facts": org.shows_coop_facts, "shows_listings": org.shows_listings}
        org.shows_coop_facts, org.shows_listings = bool(shows_coop_facts), bool(shows_listings)
        after = {"shows_coop_facts": org.shows_coop_facts, "shows_listings": org.shows_listings}
        if after != before:
            org.save(update_fields=["shows_coop_facts", "shows_listings", "updated_at"])
            record(
                actor=actor,
                verb="directory.organisation.publish",
                obj=org,
                data={"before": before, "after": after},
            )
    return org
