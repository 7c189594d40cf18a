"""Every write to the directory: one function per use case, one transaction each.

Review flow (stewards): proposed -> confirmed | rejected; confirmed -> archived.
A member's new entry is proposed; members edit only entries they created, stewards
edit all. A member's edit of a confirmed entry does not touch the entry: it becomes a
PendingEdit that a steward confirms (the values are applied then) or rejects with a
reason, so the public keeps seeing the confirmed version until then. Stewards' own
edits apply at once. Imports go through importers.pipeline.run_import.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core.audit import record
from solidaria.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from solidaria.core.permissions import is_authenticated, is_steward, require
from solidaria.directory import clustering
from solidaria.directory.importers.cleaning import (
    dedupe_domain,
    name_key,
    normalise_country,
    normalise_website,
)
from solidaria.directory.models import DESCRIPTIVE_FIELDS, Organisation, PendingEdit
from solidaria.directory.taxonomy import FIELD_SCHEMES, MULTI_VALUED, known_codes
from solidaria.notifications import events

EDITABLE_FIELDS = [*DESCRIPTIVE_FIELDS, "licence"]

Status = Organisation.Status
TRANSITIONS: dict[str, dict[str, str]] = {
    "confirm": {Status.PROPOSED: Status.CONFIRMED},
    "reject": {Status.PROPOSED: Status.REJECTED},
    "archive": {Status.CONFIRMED: Status.ARCHIVED},
}


def validate_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Cleaned values for the given fields, or ValidationFailed naming the field."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown field '{sorted(unknown)[0]}'", field=sorted(unknown)[0])
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None and key not in ("latitude", "longitude"):
            value = [] if key in MULTI_VALUED else ""
        out[key] = value.strip() if isinstance(value, str) else value
    if not partial or "name" in out:
        if not out.get("name"):
            raise ValidationFailed("a name is required", field="name")
        if len(out["name"]) > 300:
            raise ValidationFailed("name is longer than 300 characters", field="name")
    if out.get("website"):
        website = normalise_website(out["website"])
        if not website:
            raise ValidationFailed("not a web address", field="website")
        out["website"] = website
    if out.get("country"):
        code = normalise_country(out["country"])
        if not code:
            raise ValidationFailed(f"unknown country '{out['country']}'", field="country")
        out["country"] = code
    for axis, limit in (("latitude", 90), ("longitude", 180)):
        if out.get(axis) is not None:
            try:
                out[axis] = float(out[axis])
            except (TypeError, ValueError):
                raise ValidationFailed(f"{axis} is not a number", field=axis) from None
            if not -limit <= out[axis] <= limit:
                raise ValidationFailed(f"{axis} out of range [-{limit}, {limit}]", field=axis)
    codes = None
    for field_name, scheme in FIELD_SCHEMES.items():
        if field_name not in out or not out[field_name]:
            continue
        codes = codes or known_codes()
        values = out[field_name] if field_name in MULTI_VALUED else [out[field_name]]
        if not isinstance(values, list):
            raise ValidationFailed("expected a list of codes", field=field_name)
        for code in values:
            if code not in codes.get(scheme, set()):
                raise ValidationFailed(
                    f"unknown {field_name} code '{code}' (ESSGlobal {scheme})", field=field_name
                )
    return out


def _check_coordinates(org: Organisation) -> None:
    if (org.latitude is None) != (org.longitude is None):
        raise ValidationFailed("latitude and longitude must be given together", field="latitude")


def _derive(org: Organisation) -> None:
    org.name_key = name_key(org.name)
    org.web_domain = dedupe_domain(org.website)


def organisation_create(*, actor: Any, data: dict[str, Any]) -> Organisation:
    """A member proposes an organisation; a steward reviews it."""
    require(actor, "directory.organisation.propose")
    values = validate_fields(data)
    with transaction.atomic():
        org = Organisation(**values, status=Status.PROPOSED, created_by=actor)
        _check_coordinates(org)
        _derive(org)
        org.save()
        record(actor=actor, verb="directory.organisation.create", obj=org)
        if org.status == Status.PROPOSED:
            events.entry_to_review(actor=actor, org=org)
    return org


def can_edit(actor: Any, org: Organisation) -> bool:
    if is_steward(actor):
        return True
    return (
        is_authenticated(actor)
        and org.created_by_id == actor.pk
        and org.status in (Status.PROPOSED, Status.CONFIRMED)
    )


def needs_review(actor: Any, org: Organisation) -> bool:
    """True when this actor's edit of the organisation waits for a steward."""
    return org.status == Status.CONFIRMED and not is_steward(actor)


def organisation_update(*, actor: Any, org_id: int, data: dict[str, Any]) -> Organisation:
    """Edit an organisation. A steward's edit, or an edit of an entry not yet public,
    applies at once; a member's edit of a confirmed entry is kept as a pending edit and
    the organisation is returned unchanged (see `pending_edit`)."""
    values = validate_fields(data, partial=True)
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(pk=org_id).first()
        if org is None:
            raise NotFound("no such organisation")
        if not can_edit(actor, org):
            raise PermissionDenied("you may only edit organisations you proposed")
        if needs_review(actor, org):
            _propose_edit(actor, org, values)
            return org
        changed = {k: v for k, v in values.items() if getattr(org, k) != v}
        _apply(org, changed)
        if changed:
            record(
                actor=actor,
                verb="directory.organisation.update",
                obj=org,
                data={"fields": sorted(changed)},
            )
    return org


def _apply(org: Organisation, changed: dict[str, Any]) -> None:
    """Write changed values to the locked organisation and move its map point."""
    before = (org.status, org.latitude, org.longitude)
    for key, value in changed.items():
        setattr(org, key, value)
    _check_coordinates(org)
    _derive(org)
    if changed:
        org.save()
        clustering.adjust(
            org_id=org.pk, before=before, after=(org.status, org.latitude, org.longitude)
        )


def pending_edit(org: Organisation, *, lock: bool = False) -> PendingEdit | None:
    edits = PendingEdit.objects.filter(organisation=org, status=PendingEdit.Status.PENDING)
    return (edits.select_for_update() if lock else edits).first()


def _propose_edit(actor: Any, org: Organisation, values: dict[str, Any]) -> None:
    """Merge the values into the organisation's pending edit (one per organisation);
    fields set back to their confirmed value drop out, and an edit left empty is
    withdrawn. Called with the organisation locked."""
    edit = pending_edit(org, lock=True)
    proposed = {**(edit.values if edit else {}), **values}
    proposed = {k: v for k, v in proposed.items() if getattr(org, k) != v}
    preview = Organisation(latitude=org.latitude, longitude=org.longitude)
    for key in ("latitude", "longitude"):
        if key in proposed:
            setattr(preview, key, proposed[key])
    _check_coordinates(preview)
    if edit is None and not proposed:
        return
    if edit is None:
        edit = PendingEdit(organisation=org, proposed_by=actor)
    if proposed:
        edit.values = proposed
        verb = "directory.organisation.edit_propose"
    else:
        edit.status = PendingEdit.Status.WITHDRAWN
        edit.decided_by, edit.decided_at = edit.proposed_by, timezone.now()
        verb = "directory.organisation.edit_withdraw"
    edit.save()
    record(actor=actor, verb=verb, obj=org, data={"edit": edit.pk, "fields": sorted(proposed)})
    if proposed:
        events.entry_to_review(actor=actor, org=org, is_edit=True, edit_id=edit.pk)


def pending_edit_review(
    *, actor: Any, org_id: int, decision: str, reason: str = ""
) -> Organisation:
    """A steward confirms the pending edit of an organisation (its values are applied to
    the entry) or rejects it with a reason (nothing changes on the entry)."""
    if not is_steward(actor):
        raise PermissionDenied(_("Only stewards review edits."))
    if decision not in ("confirm", "reject"):
        raise ValidationFailed(_("The decision must be confirm or reject."), field="decision")
    reason = reason.strip()
    if decision == "reject" and not reason:
        raise ValidationFailed(_("Say why the edit is rejected."), field="reason")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(pk=org_id).first()
        if org is None:
            raise NotFound("no such organisation")
        edit = pending_edit(org, lock=True)
        if edit is None:
            raise Conflict(_("This organisation has no edit waiting for review."))
        changed: dict[str, Any] = {}
        if decision == "confirm":
            # Checked again: a taxonomy code may have gone since the edit was proposed.
            values = validate_fields(edit.values, partial=True)
            changed = {k: v for k, v in values.items() if getattr(org, k) != v}
            _apply(org, changed)
        edit.status = (
            PendingEdit.Status.CONFIRMED if decision == "confirm" else PendingEdit.Status.REJECTED
        )
        edit.reason, edit.decided_at = reason, timezone.now()
        edit.decided_by = actor if getattr(actor, "pk", None) else None
        edit.save()
        record(
            actor=actor,
            verb=f"directory.organisation.edit_{decision}",
            obj=org,
            reason=reason,
            data={"edit": edit.pk, "fields": sorted(changed or edit.values)},
        )
        events.entry_decided(
            actor=actor,
            org=org,
            proposer=edit.proposed_by,
            decision=decision,
            reason=reason,
            edit_id=edit.pk,
        )
    return org


def organisation_review(
    *, actor: Any, org_id: int, decision: str, reason: str = ""
) -> Organisation:
    """confirm / reject a proposed entry, archive a confirmed one (stewards only)."""
    if not is_steward(actor):
        raise PermissionDenied("only stewards review organisations")
    if decision not in TRANSITIONS:
        raise ValidationFailed(f"unknown decision '{decision}'", field="decision")
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(pk=org_id).first()
        if org is None:
            raise NotFound("no such organisation")
        target = TRANSITIONS[decision].get(org.status)
        if target is None:
            raise Conflict(f"a {org.status} organisation cannot be {decision}ed")
        before = (org.status, org.latitude, org.longitude)
        org.status = target
        org.save(update_fields=["status", "updated_at"])
        clustering.adjust(
            org_id=org.pk, before=before, after=(org.status, org.latitude, org.longitude)
        )
        record(actor=actor, verb=f"directory.organisation.{decision}", obj=org, reason=reason)
        if decision in ("confirm", "reject"):
            events.entry_decided(
                actor=actor, org=org, proposer=org.created_by, decision=decision, reason=reason
            )
    return org
