"""Founding a co-op on a directory organisation, and keeping its member classes, share
types and stewards, from the web interface.

A co-op *is* a directory organisation with its governance attached
(`Cooperative.organisation`, one to one). Who may found one (`governance.coop.found`):
a network steward, for any confirmed organisation, or a confirmed operator of that
organisation (someone who runs it, `directory.operators`). An operator who founds the
co-op becomes its first member, in its first class, and its steward, so that someone
can run it at once; a network steward founds it without joining. Member classes, share
types and co-op stewards are then kept by the co-op's stewards
(`governance.coop.steward`). Every write is one transaction with an audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.models import Visibility
from solidaria.core.permissions import SYSTEM, is_member, is_steward, require
from solidaria.governance.models import (
    CapitalEntry,
    Cooperative,
    MemberClass,
    Membership,
    ShareType,
)
from solidaria.governance.services.permissions import acting_user, require_coop_steward

RESERVED_SLUGS = {"new", "polls", "allocations"}


def _weight(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(
            _("A vote weight is a whole number, 0 or more."), field="vote_weight"
        )
    return value


def _name(value: str, field: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("Give it a name."), field=field)
    if len(value) > 80:
        raise ValidationFailed(_("A name is at most 80 characters long."), field=field)
    return value


@transaction.atomic
def coop_found(
    *,
    actor: Any,
    organisation: Any,
    classes: Sequence[tuple[str, int]],
    new_organisation_name: str = "",
    slug: str = "",
    description: str = "",
    currency: Any = None,
    visibility: str = Visibility.MEMBERS,
) -> Cooperative:
    """Attach a co-op to a confirmed directory organisation, with its member classes. A
    network steward may instead name a new organisation: it is put in the directory and
    confirmed in the same transaction."""
    from solidaria.directory import services as directory
    from solidaria.directory.models import Organisation

    if new_organisation_name.strip():
        require(actor, "directory.organisation.review")
        created = directory.organisation_create(
            actor=actor, data={"name": new_organisation_name.strip(), "description": description}
        )
        organisation = directory.organisation_review(
            actor=actor, org_id=created.pk, decision="confirm", reason=_("founded as a co-op")
        )

    org = (
        Organisation.objects.select_for_update()
        .filter(pk=getattr(organisation, "pk", organisation))
        .first()
    )
    if org is None:
        raise NotFound(_("There is no such organisation."))
    require(actor, "governance.coop.found", org)
    if org.status != Organisation.Status.CONFIRMED:
        raise ValidationFailed(
            _("Only an organisation confirmed in the directory can become a co-op here."),
            field="organisation",
        )
    if Cooperative.objects.filter(organisation=org).exists():
        raise Conflict(
            _("%(name)s is already a co-op here.") % {"name": org.name}, field="organisation"
        )
    if visibility not in Visibility.values:
        raise ValidationFailed(_("Choose who may read the co-op."), field="visibility")
    names = [(_name(n, "classes"), _weight(w)) for n, w in classes]
    if not names:
        raise ValidationFailed(_("A co-op needs at least one member class."), field="classes")
    if len({n.casefold() for n, _w in names}) != len(names):
        raise ValidationFailed(_("Two member classes have the same name."), field="classes")
    slug = slugify(slug or org.name)[:60]
    if not slug or slug in RESERVED_SLUGS:
        raise ValidationFailed(_("Choose another short name."), field="slug")
    if Cooperative.objects.filter(slug=slug).exists():
        raise Conflict(_("a co-op called %(s)s exists already") % {"s": slug}, field="slug")
    coop = Cooperative.objects.create(
        name=org.name[:150],
        slug=slug,
        description=description,
        currency=currency,
        organisation=org,
        visibility=visibility,
    )
    created = [MemberClass.objects.create(coop=coop, name=n, vote_weight=w) for n, w in names]
    audit.record(
        actor=actor,
        verb="governance.coop.create",
        obj=coop,
        data={"organisation": org.pk, "classes": [n for n, _w in names]},
    )
    for member_class in created:
        audit.record(actor=actor, verb="governance.class.create", obj=member_class)
    if actor is not SYSTEM and not is_steward(actor):
        now = timezone.now()
        founder = Membership.objects.create(
            coop=coop,
            user=actor,
            member_class=created[0],
            status=Membership.Status.ACTIVE,
            is_steward=True,
            applied_at=now,
            started_at=now,
            decision_reason=_("founded the co-op"),
        )
        audit.record(
            actor=actor, verb="governance.membership.found", obj=founder, data={"steward": True}
        )
    return coop


@transaction.atomic
def coop_organisation_link(*, actor: Any, coop: Cooperative, organisation: Any) -> Cooperative:
    """A network steward attaches an existing co-op to its directory organisation."""
    from solidaria.directory.models import Organisation

    require(actor, "governance.coop.create")
    coop = Cooperative.objects.select_for_update().get(pk=coop.pk)
    org = Organisation.objects.filter(pk=getattr(organisation, "pk", organisation)).first()
    if org is None:
        raise NotFound(_("There is no such organisation."))
    if Cooperative.objects.filter(organisation=org).exclude(pk=coop.pk).exists():
        raise Conflict(_("%(name)s is already a co-op here.") % {"name": org.name})
    coop.organisation = org
    coop.save(update_fields=["organisation"])
    audit.record(actor=actor, verb="governance.coop.link", obj=coop, data={"organisation": org.pk})
    return coop


@transaction.atomic
def member_class_update(
    *, actor: Any, member_class: MemberClass, name: str, vote_weight: int, description: str = ""
) -> MemberClass:
    found = MemberClass.objects.select_for_update().select_related("coop").get(pk=member_class.pk)
    require_coop_steward(actor, found.coop)
    name = _name(name)
    weight = _weight(vote_weight)
    if MemberClass.objects.filter(coop=found.coop, name=name).exclude(pk=found.pk).exists():
        raise Conflict(_("the class %(n)s exists already") % {"n": name}, field="name")
    before = {"name": found.name, "vote_weight": found.vote_weight}
    found.name, found.vote_weight, found.description = name, weight, description.strip()
    found.save(update_fields=["name", "vote_weight", "description"])
    audit.record(
        actor=actor,
        verb="governance.class.update",
        obj=found,
        data={"before": before, "after": {"name": name, "vote_weight": weight}},
    )
    return found


@transaction.atomic
def share_type_update(
    *,
    actor: Any,
    share_type: ShareType,
    name: str,
    nominal_minor: int,
    min_holding: int = 0,
    max_holding: int | None = None,
    is_active: bool = True,
) -> ShareType:
    """A co-op steward edits a share type. Its nominal value is fixed once shares of it
    are in the register (their value was paid at that price)."""
    found = ShareType.objects.select_for_update().select_related("coop").get(pk=share_type.pk)
    require_coop_steward(actor, found.coop)
    name = _name(name)
    if isinstance(nominal_minor, bool) or not isinstance(nominal_minor, int) or nominal_minor <= 0:
        raise ValidationFailed(_("the nominal value must be more than zero"), field="nominal")
    if (
        nominal_minor != found.nominal_minor
        and CapitalEntry.objects.filter(share_type=found).exists()
    ):
        raise ValidationFailed(
            _("Shares of this type are in the register: its nominal value cannot change."),
            field="nominal",
        )
    if min_holding < 0 or (max_holding is not None and max_holding < min_holding):
        raise ValidationFailed(
            _("the maximum holding must be at least the minimum"), field="max_holding"
        )
    if ShareType.objects.filter(coop=found.coop, name=name).exclude(pk=found.pk).exists():
        raise Conflict(_("the share type %(n)s exists already") % {"n": name}, field="name")
    before = {
        "name": found.name,
        "nominal_minor": found.nominal_minor,
        "min_holding": found.min_holding,
        "max_holding": found.max_holding,
        "is_active": found.is_active,
    }
    found.name, found.nominal_minor = name, nominal_minor
    found.min_holding, found.max_holding, found.is_active = min_holding, max_holding, is_active
    found.save()
    audit.record(
        actor=actor, verb="governance.share_type.update", obj=found, data={"before": before}
    )
    return found


@transaction.atomic
def coop_steward_set(
    *, actor: Any, membership: Membership | int, is_steward: bool, reason: str
) -> Membership:
    """A co-op steward makes an active member a steward of the co-op, or withdraws it,
    saying why. The co-op keeps at least one steward of its own."""
    pk = membership.pk if isinstance(membership, Membership) else membership
    found = (
        Membership.objects.select_for_update().select_related("coop", "user").filter(pk=pk).first()
    )
    if found is None:
        raise NotFound(_("No such membership."))
    require_coop_steward(actor, found.coop)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why."), field="reason")
    if found.is_steward == is_steward:
        return found
    if is_steward and (found.status != Membership.Status.ACTIVE or not is_member(found.user)):
        raise ValidationFailed(_("Only an active member can steward the co-op."))
    if not is_steward:
        others = Membership.objects.filter(
            coop=found.coop, is_steward=True, status=Membership.Status.ACTIVE
        ).exclude(pk=found.pk)
        if not others.exists():
            raise Conflict(_("The co-op needs at least one steward: name another one first."))
    found.is_steward = is_steward
    found.save(update_fields=["is_steward"])
    audit.record(
        actor=actor,
        verb="governance.steward.grant" if is_steward else "governance.steward.revoke",
        obj=found,
        reason=reason,
        data={"user": found.user_id, "by": getattr(acting_user(actor), "pk", None)},
    )
    return found
