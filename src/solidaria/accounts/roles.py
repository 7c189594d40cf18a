"""The roles a person holds in the network, granted and withdrawn in the web interface.

- network steward (`User.role`): granted and withdrawn by network stewards; the first one
  comes from `solidaria createsteward USERNAME` (or the demo). The last network steward
  cannot be withdrawn, so the network is never left without one.
- currency steward (per currency, `ledger.CurrencySteward`): network stewards, through
  `ledger.services.currency_steward_add/remove`.
- co-op steward (per co-op, `governance.Membership.is_steward`): the co-op's stewards,
  through `governance.services.setup.coop_steward_set`.
- budgeting process manager (per process, `budgeting.ProcessManager`): network stewards,
  through `budgeting.managers`.
- external auditor (`indicators.ExternalAuditor`, signs off assessments): network
  stewards name one through `indicators.assessments.auditor_grant` and withdraw the role
  here (`external_auditor_withdraw`: the row keeps its `withdrawn_at`, the audit event
  says who and why).

Every grant and withdrawal says why and writes an audit event; `roles_of` lists them
all for the person's profile page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from solidaria.accounts.models import User
from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, ValidationFailed, required_reason
from solidaria.core.permissions import SYSTEM, is_member, require


@dataclass
class Roles:
    """What `user` may steward or run, for their profile page."""

    is_network_steward: bool
    currencies: list[Any] = field(default_factory=list)
    coops: list[Any] = field(default_factory=list)
    processes: list[Any] = field(default_factory=list)
    organisations: list[Any] = field(default_factory=list)
    is_external_auditor: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.is_network_steward
            or self.is_external_auditor
            or self.currencies
            or self.coops
            or self.processes
            or self.organisations
        )


def roles_of(user: User) -> Roles:
    from solidaria.budgeting.models import Process
    from solidaria.directory.operators import organisations_run_by
    from solidaria.governance.models import Cooperative, Membership
    from solidaria.indicators.assessments import is_external_auditor
    from solidaria.ledger.models import Currency

    return Roles(
        is_network_steward=user.is_steward,
        currencies=list(Currency.objects.filter(steward_roles__user=user).order_by("code")),
        coops=list(
            Cooperative.objects.filter(
                memberships__user=user,
                memberships__is_steward=True,
                memberships__status=Membership.Status.ACTIVE,
            )
            .distinct()
            .order_by("name")
        ),
        processes=list(Process.objects.filter(managers__user=user).order_by("title")),
        organisations=list(organisations_run_by(user)),
        is_external_auditor=is_external_auditor(user),
    )


@transaction.atomic
def network_steward_set(*, actor: Any, user_id: int, is_steward: bool, reason: str) -> User:
    """A network steward makes an admitted member a network steward, or withdraws the role.
    Withdrawing the last network steward is refused."""
    require(actor, "accounts.steward.set")
    reason = required_reason(reason)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such person."))
    target = User.Role.STEWARD if is_steward else User.Role.MEMBER
    if user.role == target:
        return user
    if is_steward and (user is SYSTEM or not is_member(user)):
        raise ValidationFailed(_("Only an admitted member can be a network steward."))
    if not is_steward:
        stewards = list(
            User.objects.select_for_update()
            .filter(role=User.Role.STEWARD, is_active=True)
            .values_list("pk", flat=True)
        )
        if stewards == [user.pk]:
            raise Conflict(_("The network needs at least one steward: name another one first."))
    user.role = target
    user.save(update_fields=["role"])
    audit.record(
        actor=actor,
        verb="accounts.steward.grant" if is_steward else "accounts.steward.revoke",
        obj=user,
        reason=reason,
    )
    return user


@transaction.atomic
def external_auditor_withdraw(*, actor: Any, user: User, reason: str) -> None:
    """A network steward withdraws the external auditor role, saying why (audited). The
    role's row stays, with the moment it ended; sign-offs already made stay valid."""
    from django.utils import timezone

    from solidaria.indicators.models import ExternalAuditor

    require(actor, "indicators.auditor.withdraw")
    reason = required_reason(reason)
    held = list(
        ExternalAuditor.objects.select_for_update()
        .filter(user_id=user.pk, withdrawn_at=None)
        .order_by("pk")
    )
    if not held:
        raise Conflict(_("This person is not an external auditor."))
    now = timezone.now()
    for role in held:
        role.withdrawn_at = now
        role.save(update_fields=["withdrawn_at"])
        audit.record(actor=actor, verb="indicators.auditor.withdraw", obj=role, reason=reason)


def role_change(*, actor: Any, user: User, role: str, scope: str, action: str, reason: str) -> None:
    """One grant or withdrawal from a person's page: `role` is network, auditor, currency
    or process; `scope` is "currency:<id>" or "process:<id>" for the last two."""
    from solidaria.budgeting import managers
    from solidaria.budgeting.models import Process
    from solidaria.indicators import assessments
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Currency

    if action not in ("grant", "revoke"):
        raise ValidationFailed(_("Choose to grant or to withdraw."), field="action")
    grant = action == "grant"
    if role == "network":
        network_steward_set(actor=actor, user_id=user.pk, is_steward=grant, reason=reason)
        return
    if role == "auditor":
        if grant:
            assessments.auditor_grant(actor=actor, user=user, reason=required_reason(reason))
        else:
            external_auditor_withdraw(actor=actor, user=user, reason=reason)
        return
    kind, _sep, pk = (scope or "").partition(":")
    if kind != role or not pk.isdigit():
        raise ValidationFailed(_("Choose which currency or process."), field="scope")
    if role == "currency":
        currency = Currency.objects.filter(pk=int(pk)).first()
        if currency is None:
            raise ValidationFailed(_("Choose which currency or process."), field="scope")
        if grant:
            ledger.currency_steward_add(
                actor=actor, currency=currency, user=user, reason=required_reason(reason)
            )
        else:
            ledger.currency_steward_remove(actor=actor, currency=currency, user=user, reason=reason)
        return
    if role == "process":
        process = Process.objects.filter(pk=int(pk)).first()
        if process is None:
            raise ValidationFailed(_("Choose which currency or process."), field="scope")
        if grant:
            managers.process_manager_grant(actor=actor, process=process, user=user, reason=reason)
        else:
            managers.process_manager_revoke(actor=actor, process=process, user=user, reason=reason)
        return
    raise ValidationFailed(_("Choose a role."), field="role")
