"""Budgeting process managers: members who run one process besides the network stewards.

Network stewards grant and withdraw the role with a reason (audited
`budgeting.manager.grant|revoke`); the rule `budgeting.process.manage` accepts a
manager for their own process.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.budgeting.models import Process, ProcessManager
from solidaria.core import audit
from solidaria.core.errors import ValidationFailed, required_reason
from solidaria.core.permissions import SYSTEM, is_member, require


def is_process_manager(user: Any, process: Any) -> bool:
    if not isinstance(process, Process) or user is SYSTEM or not is_member(user):
        return False
    return ProcessManager.objects.filter(process=process, user_id=user.pk).exists()


@transaction.atomic
def process_manager_grant(
    *, actor: Any, process: Process, user: Any, reason: str
) -> ProcessManager:
    require(actor, "budgeting.managers.set", process)
    reason = required_reason(reason)
    if user is SYSTEM or not is_member(user):
        raise ValidationFailed(_("Only an admitted member can manage a process."), field="user")
    process = Process.objects.select_for_update().get(pk=process.pk)
    found = ProcessManager.objects.filter(process=process, user=user).first()
    if found is not None:
        return found
    role = ProcessManager.objects.create(
        process=process,
        user=user,
        granted_by=actor if getattr(actor, "pk", None) else None,
        granted_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        verb="budgeting.manager.grant",
        obj=process,
        reason=reason,
        data={"user": user.pk},
    )
    return role


@transaction.atomic
def process_manager_revoke(*, actor: Any, process: Process, user: Any, reason: str) -> None:
    require(actor, "budgeting.managers.set", process)
    reason = required_reason(reason)
    process = Process.objects.select_for_update().get(pk=process.pk)
    deleted, _rows = ProcessManager.objects.filter(process=process, user=user).delete()
    if deleted:
        audit.record(
            actor=actor,
            verb="budgeting.manager.revoke",
            obj=process,
            reason=reason,
            data={"user": user.pk},
        )
