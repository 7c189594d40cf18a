"""Demo: who runs what. Runs after the other apps' demo data: a few profiles (languages,
bio, time-bank skills); ana and chen run the bakery's directory entry (claimed, confirmed
by the steward), another member's claim on a second organisation waits; roles granted in
the interface's services with a reason: bilal stewards the co-op currency, dolores
manages the open budgeting process, chen becomes a steward of the bakery co-op.
Idempotent: loading twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from solidaria.core.demo import STEWARD, demo_users

PROFILES = {
    "ana": (["English", "Español"], "Baker at Bread & Roses.", ["sourdough", "bike repair"]),
    "bilal": (["English", "বাংলা"], "Keeps the co-op's books.", ["bookkeeping", "translation"]),
    "chen": (["English", "中文"], "Early shift at the bakery.", ["pastry", "childcare"]),
}


def load(*, stdout: Any) -> None:
    from solidaria.accounts import services
    from solidaria.directory.models import Operator

    users = demo_users()
    if Operator.objects.filter(user=users["ana"]).exists():
        stdout.write("  accounts: operators and roles already loaded")
        return
    with transaction.atomic():
        for name, (languages, bio, skills) in PROFILES.items():
            user = users[name]
            services.profile_update(
                actor=user,
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                languages=languages,
                bio=bio,
                skills=skills,
            )
        _operators(users, stdout)
        _roles(users, stdout)


def _operators(users: dict[str, Any], stdout: Any) -> None:
    from solidaria.directory import operators
    from solidaria.directory.models import Organisation
    from solidaria.governance.models import Cooperative

    steward = users[STEWARD]
    coop = Cooperative.objects.filter(organisation__isnull=False).order_by("pk").first()
    if coop is None:
        stdout.write("  accounts: no co-op with a directory entry, operators skipped")
        return
    for name in ("ana", "chen"):
        claim = operators.operator_claim(
            actor=users[name], org_id=coop.organisation_id, reason="I work at the bakery."
        )
        operators.operator_decide(actor=steward, operator_id=claim.pk, decision="confirm")
    other = (
        Organisation.objects.filter(status=Organisation.Status.CONFIRMED, cooperative__isnull=True)
        .order_by("pk")
        .first()
    )
    if other is not None:
        operators.operator_claim(
            actor=users["emeka"], org_id=other.pk, reason="I volunteer there on Saturdays."
        )
    stdout.write(f"  accounts: ana and chen run {coop.organisation}; one claim waits")


def _roles(users: dict[str, Any], stdout: Any) -> None:
    from solidaria.budgeting import managers
    from solidaria.budgeting.models import Process
    from solidaria.governance.models import Cooperative, Membership
    from solidaria.governance.services.setup import coop_steward_set
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Currency

    steward = users[STEWARD]
    currency = Currency.objects.filter(code="EUR-COOP").first()
    if currency is not None:
        ledger.currency_steward_add(
            actor=steward, currency=currency, user=users["bilal"], reason="keeps the books"
        )
    process = Process.objects.order_by("-pk").first()
    if process is not None:
        managers.process_manager_grant(
            actor=steward, process=process, user=users["dolores"], reason="runs the process"
        )
    coop = Cooperative.objects.filter(organisation__isnull=False).order_by("pk").first()
    chen = Membership.objects.filter(coop=coop, user=users["chen"], status="active").first()
    if chen is not None and not chen.is_steward:
        coop_steward_set(actor=steward, membership=chen, is_steward=True, reason="rota")
    stdout.write("  accounts: roles granted (currency steward, process manager, co-op steward)")
