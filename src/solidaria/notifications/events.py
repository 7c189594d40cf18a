"""Who is told what when something happens: one function per event, called with one line
from the service where the change happens, inside its transaction.

Each builds the recipients, the context (names and amounts as text, codes for outcomes)
and a dedupe key naming the event, and calls `services.notify`. The dedupe key is what
makes a replay harmless: the same event (transfer 42 received) never notifies the same
person twice. Functions here never raise for a missing recipient: an event nobody needs
to hear of tells nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from solidaria.accounts.models import Admission, User
from solidaria.core.permissions import SYSTEM
from solidaria.notifications.services import notify


def _amount(currency: Any, amount_minor: int) -> str:
    return f"{currency.format(amount_minor)} {currency.code}"


def _name(person: Any) -> str:
    return str(person) if person is not None else ""


def network_stewards() -> list[User]:
    return list(
        User.objects.filter(is_active=True).filter(Q(role=User.Role.STEWARD) | Q(is_superuser=True))
    )


def members() -> list[User]:
    """Everyone admitted to the network now (stewards included)."""
    return list(
        User.objects.filter(is_active=True).filter(
            Q(admission=Admission.ADMITTED) | Q(role=User.Role.STEWARD) | Q(is_superuser=True)
        )
    )


# ---------------------------------------------------------------- ledger


def account_holders(account: Any) -> list[Any]:
    """Who hears of an account: its holder, or the people with a right to see an
    organisation's account."""
    from solidaria.ledger.models import Account, AccountOperator

    if account.kind == Account.Kind.MEMBER and account.owner_id:
        return list(User.objects.filter(pk=account.owner_id))
    if account.kind == Account.Kind.ORGANISATION:
        ids = AccountOperator.objects.filter(account_id=account.pk, can_view=True).values("user")
        return list(User.objects.filter(pk__in=ids))
    return []


def _holder_name(account: Any) -> str:
    return account.name or str(account)


def currency_stewards(currency: Any) -> list[User]:
    """Who may decide on a currency's held payments: its stewards and the network's."""
    from solidaria.ledger.models import CurrencySteward

    ids = CurrencySteward.objects.filter(currency_id=currency.pk).values("user")
    return list(User.objects.filter(pk__in=ids, is_active=True)) + network_stewards()


def _audit_id(verb: str, obj: Any) -> int | None:
    """The latest audit event of `verb` on `obj`: it names one change for a dedupe key."""
    from solidaria.core.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            verb=verb, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )


def payment_made(*, actor: Any, transfer: Any, payer: Any = None, payee: Any = None) -> None:
    """A payment: the payee hears it arrived, or the stewards that it waits for them. A
    payment of a request is told by `request_decided` instead."""
    from solidaria.ledger.models import Account, Transfer

    if getattr(transfer, "replayed", False):
        return
    if transfer.kind == Transfer.Kind.REQUEST and transfer.status == Transfer.Status.COMPLETED:
        return
    payer = payer or Account.objects.select_related("currency").get(pk=transfer.payer_id)
    payee = payee or Account.objects.get(pk=transfer.payee_id)
    currency = payer.currency
    amount = _amount(currency, transfer.amount_minor)
    if transfer.status == Transfer.Status.PENDING:
        notify(
            "ledger.transfer.held",
            currency_stewards(currency),
            actor=actor,
            target=transfer,
            context={"amount": amount, "payer": _holder_name(payer), "payee": _holder_name(payee)},
            dedupe_key=f"transfer:{transfer.pk}",
            url=reverse("ledger:steward_queue"),
        )
    elif transfer.status == Transfer.Status.COMPLETED:
        payment_received(actor=actor, transfer=transfer, payer=payer, payee=payee)


def payment_made_later(*, actor: Any, transfer: Any) -> None:
    """PostgreSQL's one-statement payment (`ledger/fastpay.py`): its notification is
    recorded by a task after it commits, so the payment stays one round trip. The dedupe
    key makes a retried task harmless."""
    if getattr(transfer, "replayed", False):
        return
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    transaction.on_commit(partial(_enqueue_payment, transfer.pk, actor_id))


def _enqueue_payment(transfer_id: int, actor_id: int | None) -> None:
    from solidaria.notifications.tasks import record_payment

    record_payment.enqueue(transfer_id=transfer_id, actor_id=actor_id)


def payment_recorded(*, transfer_id: int, actor_id: int | None) -> None:
    """The task's work: tell of a payment made on the one-statement path."""
    from solidaria.ledger.models import Transfer

    transfer = Transfer.objects.filter(pk=transfer_id).first()
    if transfer is None:
        return
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with transaction.atomic():
        payment_made(actor=actor or SYSTEM, transfer=transfer)


def payment_received(*, actor: Any, transfer: Any, payer: Any = None, payee: Any = None) -> None:
    from solidaria.ledger.models import Account

    payer = payer or Account.objects.select_related("currency").get(pk=transfer.payer_id)
    payee = payee or Account.objects.get(pk=transfer.payee_id)
    context = {
        "payer": _holder_name(payer),
        "amount": _amount(payer.currency, transfer.amount_minor),
    }
    if transfer.memo:
        context.update(variant="memo", memo=transfer.memo)
    notify(
        "ledger.payment.received",
        account_holders(payee),
        actor=actor,
        target=transfer,
        context=context,
        dedupe_key=f"transfer:{transfer.pk}",
        url=reverse("ledger:transfer", args=[transfer.pk]),
    )


def transfer_decided(*, actor: Any, transfer: Any) -> None:
    """A steward approved or refused a held payment: the payer hears it (and on approval,
    the payee hears the payment arrived)."""
    from solidaria.ledger.models import Account, Transfer

    payer = Account.objects.select_related("currency").get(pk=transfer.payer_id)
    payee = Account.objects.get(pk=transfer.payee_id)
    approved = transfer.status == Transfer.Status.COMPLETED
    notify(
        "ledger.transfer.decided",
        account_holders(payer),
        actor=actor,
        target=transfer,
        context={
            "variant": "approved" if approved else "rejected",
            "amount": _amount(payer.currency, transfer.amount_minor),
            "payee": _holder_name(payee),
            "reason": transfer.decision_reason or "",
        },
        dedupe_key=f"transfer:{transfer.pk}",
        url=reverse("ledger:transfer", args=[transfer.pk]),
    )
    if approved:
        payment_received(actor=actor, transfer=transfer, payer=payer, payee=payee)


def limits_changed(*, actor: Any, account: Any) -> None:
    currency = account.currency
    context: dict[str, Any] = {
        "currency": currency.code,
        "credit_limit": _amount(currency, account.credit_limit or 0),
    }
    if account.upper_limit is not None:
        context.update(variant="upper", upper_limit=_amount(currency, account.upper_limit))
    notify(
        "ledger.limits.changed",
        account_holders(account),
        actor=actor,
        target=account,
        context=context,
        dedupe_key=f"limits:{_audit_id('ledger.account.limits', account)}",
        url=reverse("ledger:account", args=[account.pk]),
    )


def request_made(*, actor: Any, request: Any) -> None:
    from solidaria.ledger.models import Account

    payee = Account.objects.select_related("currency").get(pk=request.payee_id)
    payer = Account.objects.get(pk=request.payer_id)
    context = {
        "payee": _holder_name(payee),
        "amount": _amount(payee.currency, request.amount_minor),
    }
    if request.memo:
        context.update(variant="memo", memo=request.memo)
    notify(
        "ledger.request.to_pay",
        account_holders(payer),
        actor=actor,
        target=request,
        context=context,
        dedupe_key=f"request:{request.pk}",
        url=reverse("ledger:home"),
    )


def request_decided(*, actor: Any, request: Any, reason: str = "") -> None:
    """The payer paid or declined a request: the payee hears which."""
    from solidaria.ledger.models import Account, PaymentRequest, Transfer

    payee = Account.objects.select_related("currency").get(pk=request.payee_id)
    payer = Account.objects.get(pk=request.payer_id)
    paid = request.status == PaymentRequest.Status.ACCEPTED
    if paid and request.transfer.status != Transfer.Status.COMPLETED:
        return  # held for a steward: the payee hears of it once it is approved
    notify(
        "ledger.request.decided",
        account_holders(payee),
        actor=actor,
        target=request,
        context={
            "variant": "paid" if paid else "declined",
            "payer": _holder_name(payer),
            "amount": _amount(payee.currency, request.amount_minor),
            "reason": reason,
        },
        dedupe_key=f"request:{request.pk}",
        url=reverse("ledger:transfer", args=[request.transfer_id])
        if paid and request.transfer_id
        else reverse("ledger:home"),
    )


# ---------------------------------------------------------------- clearing


def _other_party(obligation: Any, actor: Any) -> tuple[list[Any], str]:
    """The party who did not act, and the name of the one who did."""
    acting = getattr(actor, "pk", None)
    if acting == obligation.debtor_id:
        return [obligation.creditor], _name(obligation.debtor)
    if acting == obligation.creditor_id:
        return [obligation.debtor], _name(obligation.creditor)
    # recorded by a steward or an import: both parties are asked
    return [obligation.debtor, obligation.creditor], _name(actor) if acting else ""


def obligation_recorded(*, actor: Any, obligation: Any) -> None:
    if getattr(obligation, "replayed", False):
        return
    recipients, party = _other_party(obligation, actor)
    context = {"party": party, "amount": _amount(obligation.currency, obligation.amount_minor)}
    if getattr(obligation, "reference", ""):
        context.update(variant="reference", reference=obligation.reference)
    notify(
        "clearing.obligation.to_confirm",
        recipients,
        actor=actor,
        target=obligation,
        context=context,
        dedupe_key=f"obligation:{obligation.pk}",
        url=reverse("clearing:home"),
    )


def obligation_answered(*, actor: Any, obligation: Any, kind: str, reason: str = "") -> None:
    """`kind` is clearing.obligation.confirmed or .disputed: the other party hears it."""
    recipients, party = _other_party(obligation, actor)
    notify(
        kind,
        recipients,
        actor=actor,
        target=obligation,
        context={
            "party": party,
            "amount": _amount(obligation.currency, obligation.amount_minor),
            "reason": reason,
        },
        dedupe_key=f"obligation:{obligation.pk}:{kind}:{getattr(actor, 'pk', 'system')}",
        url=reverse("clearing:home"),
    )


def run_event(*, actor: Any, run: Any, kind: str, amounts: dict[int, int]) -> None:
    """A clearing run was proposed to or applied for its members: each hears how much of
    their invoices it sets off (`amounts` by user id)."""
    path = reverse(
        "clearing:notice" if kind == "clearing.run.applied" else "clearing:run", args=[run.pk]
    )
    people = {u.pk: u for u in User.objects.filter(pk__in=list(amounts))}
    for pk, amount in sorted(amounts.items()):
        if pk not in people:
            continue
        notify(
            kind,
            [people[pk]],
            actor=actor,
            target=run,
            context={
                "run": run.pk,
                "currency": run.currency.code,
                "amount": _amount(run.currency, amount),
            },
            dedupe_key=f"run:{run.pk}",
            url=path,
            # the last acceptance applies a run: that member wants the notice too
            include_actor=kind == "clearing.run.applied",
        )


# ---------------------------------------------------------------- governance


def _coop_members(coop: Any) -> list[Any]:
    from solidaria.governance.models import Membership

    ids = Membership.objects.filter(coop=coop, status=Membership.Status.ACTIVE).values("user")
    return list(User.objects.filter(pk__in=ids))


def poll_opened(*, actor: Any, poll: Any) -> None:
    notify(
        "governance.poll.opened",
        _coop_members(poll.coop),
        actor=actor,
        target=poll,
        context={"coop": poll.coop.name, "title": poll.title, "closes_at": poll.closes_at},
        dedupe_key=f"poll:{poll.pk}",
        url=reverse("governance:poll", args=[poll.pk]),
    )


def poll_closed(*, actor: Any, poll: Any, outcome: str) -> None:
    notify(
        "governance.poll.closed",
        _coop_members(poll.coop),
        actor=actor if actor is not None else SYSTEM,
        target=poll,
        context={"coop": poll.coop.name, "title": poll.title, "outcome": outcome},
        dedupe_key=f"poll:{poll.pk}",
        url=reverse("governance:poll", args=[poll.pk]),
    )


def polls_closing_soon(*, now: dt.datetime | None = None) -> int:
    """Tell each member who has not voted yet that a poll closes within 24 hours (run it
    hourly: the dedupe key makes a second run tell nobody again). Returns how many."""
    from solidaria.governance.models import Poll

    now = now or timezone.now()
    told = 0
    due = Poll.objects.select_related("coop").filter(
        closed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
    )
    for poll in due.filter(closes_at__lte=now + dt.timedelta(hours=24)).order_by("pk"):
        voted = set(poll.participations.values_list("user_id", flat=True))
        waiting = [u for u in _coop_members(poll.coop) if u.pk not in voted]
        told += notify(
            "governance.poll.closing",
            waiting,
            actor=SYSTEM,
            target=poll,
            context={"coop": poll.coop.name, "title": poll.title, "closes_at": poll.closes_at},
            dedupe_key=f"poll:{poll.pk}",
            url=reverse("governance:poll", args=[poll.pk]),
        )
    return told


# ---------------------------------------------------------------- accounts


def application_received(*, actor: Any, user: Any) -> None:
    notify(
        "accounts.application.received",
        network_stewards(),
        actor=actor,
        target=user,
        context={"person": user.username},
        dedupe_key=f"application:{user.pk}",
        url=reverse("person", args=[user.pk]),
    )


def admission_decided(*, actor: Any, user: Any, reason: str = "") -> None:
    variant = {
        Admission.ADMITTED: "admitted",
        Admission.DECLINED: "declined",
        Admission.SUSPENDED: "suspended",
    }.get(user.admission)
    if variant is None:
        return
    last = user.admission_events.order_by("-at", "-id").values_list("pk", flat=True).first()
    notify(
        "accounts.application.decided",
        [user],
        actor=actor,
        target=user,
        context={
            "variant": variant,
            "network": settings.SOLIDARIA["NETWORK_NAME"],
            "reason": reason,
        },
        dedupe_key=f"admission:{last}",
        url=reverse("profile"),
    )


# ---------------------------------------------------------------- directory


def entry_to_review(*, actor: Any, org: Any, is_edit: bool = False, edit_id: Any = None) -> None:
    context = {"proposer": _name(actor) if getattr(actor, "pk", None) else "", "name": org.name}
    if is_edit:
        context["variant"] = "edit"
    notify(
        "directory.entry.to_review",
        network_stewards(),
        actor=actor,
        target=org,
        context=context,
        dedupe_key=f"org:{org.pk}:edit:{edit_id}" if is_edit else f"org:{org.pk}",
        url=reverse("directory:review"),
    )


def entry_decided(
    *,
    actor: Any,
    org: Any,
    proposer: Any,
    decision: str,
    reason: str = "",
    edit_id: Any = None,
) -> None:
    """`decision` is confirm or reject (an edit's when `edit_id` is given)."""
    if proposer is None:
        return
    variant = "confirmed" if decision == "confirm" else "rejected"
    if edit_id is not None:
        variant = f"edit_{variant}"
    notify(
        "directory.entry.decided",
        [proposer],
        actor=actor,
        target=org,
        context={"variant": variant, "name": org.name, "reason": reason},
        dedupe_key=f"org:{org.pk}:edit:{edit_id}" if edit_id is not None else f"org:{org.pk}",
        url=reverse("directory:detail", args=[org.pk]),
    )


# ---------------------------------------------------------------- budgeting


def _participants(process: Any) -> Iterable[Any]:
    """Who can take part in a process: every member when members vote; with voting codes,
    the people who proposed projects."""
    from solidaria.budgeting.models import Electorate

    proposers = User.objects.filter(pk__in=process.projects.values("proposer"))
    if process.electorate == Electorate.MEMBERS:
        return {u.pk: u for u in [*members(), *proposers]}.values()
    return list(proposers)


def phase_changed(*, actor: Any, process: Any) -> None:
    notify(
        "budgeting.phase.changed",
        _participants(process),
        actor=actor,
        target=process,
        context={"process": process.title, "phase": process.phase},
        dedupe_key=f"process:{process.pk}:{process.phase}",
        url=reverse("budgeting:process", args=[process.slug]),
    )


def project_reviewed(*, actor: Any, project: Any) -> None:
    context = {
        "project": project.title,
        "process": project.process.title,
        "status": project.status,
    }
    if project.review_note:
        context.update(variant="note", note=project.review_note)
    notify(
        "budgeting.project.reviewed",
        [project.proposer] if project.proposer_id else [],
        actor=actor,
        target=project,
        context=context,
        dedupe_key=f"review:{_audit_id('budgeting.project_review', project)}",
        url=reverse("budgeting:process", args=[project.process.slug]),
    )


# ---------------------------------------------------------------- seams of the new flows
# (issues #12 and #13): co-op membership and shares, organisation accounts, reversals,
# operators of organisations.


def _coop_stewards(coop: Any) -> list[Any]:
    """The members a co-op made its stewards (network stewards see every queue anyway)."""
    from solidaria.governance.models import Membership

    ids = Membership.objects.filter(
        coop=coop, status=Membership.Status.ACTIVE, is_steward=True
    ).values("user")
    return list(User.objects.filter(pk__in=ids))


def coop_application_received(*, actor: Any, membership: Any) -> None:
    """Someone asked to join a co-op: its stewards hear it."""
    notify(
        "governance.membership.applied",
        _coop_stewards(membership.coop),
        actor=actor,
        target=membership,
        context={"person": _name(membership.user), "coop": membership.coop.name},
        dedupe_key=f"membership:{membership.pk}",
        url=reverse("governance:members", args=[membership.coop.slug]),
    )


def coop_application_decided(*, actor: Any, membership: Any) -> None:
    """A co-op's steward (or its poll) decided an application: the applicant hears it."""
    from solidaria.governance.models import Membership

    approved = membership.status == Membership.Status.ACTIVE
    notify(
        "governance.membership.decided",
        [membership.user],
        actor=actor if actor is not None else SYSTEM,  # a poll decided
        target=membership,
        context={
            "variant": "approved" if approved else "rejected",
            "coop": membership.coop.name,
            "reason": membership.decision_reason or "",
        },
        dedupe_key=f"membership:{membership.pk}",
        url=reverse("governance:coop", args=[membership.coop.slug]),
    )


def share_entry_written(*, actor: Any, entry: Any) -> None:
    """Shares paid on the ledger entered the register: the member hears it (the one who
    paid now too: their act only triggered the entry)."""
    membership = entry.membership
    coop = membership.coop
    amount = abs(entry.amount_minor)
    redeemed = entry.quantity < 0
    notify(
        "governance.shares.entered",
        [membership.user],
        actor=actor,
        target=entry,
        context={
            "variant": "redeemed" if redeemed else "subscribed",
            "quantity": abs(entry.quantity),
            "share_type": entry.share_type.name,
            "coop": coop.name,
            "amount": _amount(coop.currency, amount) if coop.currency else str(amount),
        },
        dedupe_key=f"capital:{entry.pk}",
        url=reverse("governance:shares", args=[coop.slug]),
        include_actor=True,
    )


def account_request_received(*, actor: Any, request: Any) -> None:
    """An operator asked for an organisation's account: the currency's stewards hear it."""
    notify(
        "ledger.account_request.received",
        currency_stewards(request.currency),
        actor=actor,
        target=request,
        context={
            "person": _name(request.requested_by),
            "organisation": request.organisation.name,
            "currency": request.currency.code,
        },
        dedupe_key=f"account_request:{request.pk}",
        url=reverse("ledger:steward_account_requests"),
    )


def account_request_decided(*, actor: Any, request: Any) -> None:
    """A currency steward approved or declined an account request: the requester hears."""
    from solidaria.ledger.models import AccountRequest

    approved = request.status == AccountRequest.Status.APPROVED
    notify(
        "ledger.account_request.decided",
        [request.requested_by],
        actor=actor,
        target=request,
        context={
            "variant": "approved" if approved else "declined",
            "organisation": request.organisation.name,
            "currency": request.currency.code,
            "reason": request.decision_reason or "",
        },
        dedupe_key=f"account_request:{request.pk}",
        url=reverse("ledger:account", args=[request.account_id])
        if approved and request.account_id
        else reverse("ledger:home"),
    )


def payment_reversed(*, actor: Any, reversal: Any, original: Any, reason: str) -> None:
    """A payment was reversed: its payer and its payee hear it (not whoever reversed it)."""
    from solidaria.ledger.models import Account

    payer = Account.objects.select_related("currency").get(pk=original.payer_id)
    payee = Account.objects.get(pk=original.payee_id)
    people = {p.pk: p for p in [*account_holders(payer), *account_holders(payee)]}
    notify(
        "ledger.payment.reversed",
        people.values(),
        actor=actor,
        target=reversal,
        context={
            "amount": _amount(payer.currency, original.amount_minor),
            "payer": _holder_name(payer),
            "payee": _holder_name(payee),
            "reason": reason,
        },
        dedupe_key=f"reversal:{original.pk}",
        url=reverse("ledger:transfer", args=[reversal.pk]),
    )


def operator_claimed(*, actor: Any, claim: Any) -> None:
    """Someone says they run an organisation: network stewards hear it."""
    notify(
        "directory.operator.claimed",
        network_stewards(),
        actor=actor,
        target=claim.organisation,
        context={"person": _name(claim.user), "name": claim.organisation.name},
        dedupe_key=f"operator:{claim.pk}",
        url=reverse("directory:review"),
    )


def operator_decided(*, actor: Any, claim: Any) -> None:
    """A network steward confirmed or declined a claim: the claimant hears it."""
    from solidaria.directory.models import Operator

    confirmed = claim.status == Operator.Status.CONFIRMED
    notify(
        "directory.operator.decided",
        [claim.user],
        actor=actor,
        target=claim.organisation,
        context={
            "variant": "confirmed" if confirmed else "declined",
            "name": claim.organisation.name,
            "reason": claim.decision_reason or "",
        },
        dedupe_key=f"operator:{claim.pk}",
        url=reverse("directory:detail", args=[claim.organisation_id]),
    )


def allocation_applied(*, actor: Any, run: Any, poll: Any = None) -> None:
    """A surplus allocation was applied (by the stewards, or because the general
    assembly's poll accepted it): each member with a part hears their amount, paid and
    credited to their capital."""
    coop = run.coop
    currency = coop.currency
    parts: dict[int, tuple[Any, int, int]] = {}
    for line in run.lines.select_related("membership__user").order_by("pk"):
        if line.membership is None or line.cents <= 0:
            continue
        user = line.membership.user
        _u, cash, capital = parts.get(user.pk, (user, 0, 0))
        parts[user.pk] = (user, cash + line.cash_cents, capital + line.capital_cents)
    for pk in sorted(parts):
        user, cash, capital = parts[pk]
        notify(
            "governance.allocation.applied",
            [user],
            actor=actor,
            target=run,
            context={
                "variant": "poll" if poll is not None else "stewards",
                "coop": coop.name,
                "year": str(run.year),
                "amount": _amount(currency, cash + capital),
                "cash": _amount(currency, cash),
                "capital": _amount(currency, capital),
            },
            dedupe_key=f"allocation:{run.pk}",
            url=reverse("governance:allocation", args=[run.pk]),
            include_actor=True,
        )


# ---------------------------------------------------------------- clearing seams


def obligation_corrected(*, actor: Any, obligation: Any, proposed: bool, reason: str = "") -> None:
    """One side proposed a corrected amount (the other side is asked to confirm it), or
    the other side confirmed it (the proposer hears it stands)."""
    recipients, party = _other_party(obligation, actor)
    amount = obligation.proposed_amount_minor if proposed else obligation.amount_minor
    notify(
        "clearing.obligation.corrected",
        recipients,
        actor=actor,
        target=obligation,
        context={
            "variant": ("proposed_reason" if reason else "proposed") if proposed else "confirmed",
            "party": party,
            "amount": _amount(obligation.currency, amount or 0),
            "reason": reason,
        },
        dedupe_key=f"obligation:{obligation.pk}:v{obligation.version}",
        url=reverse("clearing:home"),
    )


def obligation_withdrawn(*, actor: Any, obligation: Any, reason: str) -> None:
    recipients, party = _other_party(obligation, actor)
    notify(
        "clearing.obligation.withdrawn",
        recipients,
        actor=actor,
        target=obligation,
        context={
            "party": party,
            "amount": _amount(obligation.currency, obligation.amount_minor),
            "reason": reason,
        },
        dedupe_key=f"obligation:{obligation.pk}",
        url=reverse("clearing:home"),
    )


def obligation_settled(*, actor: Any, settlement: Any) -> None:
    """The debtor paid (part of) an invoice on the ledger: the creditor hears how much is
    left of it."""
    ob = settlement.obligation
    notify(
        "clearing.obligation.settled",
        [ob.creditor],
        actor=actor,
        target=ob,
        context={
            "variant": "rest" if ob.remaining_minor else "",
            "party": _name(ob.debtor),
            "amount": _amount(settlement.currency, settlement.amount_minor),
            "invoice": _amount(ob.currency, ob.amount_minor),
            "rest": _amount(ob.currency, ob.remaining_minor),
        },
        dedupe_key=f"settlement:{settlement.pk}",
        url=reverse("ledger:transfer", args=[settlement.transfer_id]),
    )


def _run_stewards(run: Any) -> list[Any]:
    """The steward who started a run, or the network's stewards when nobody did."""
    started = getattr(run, "started_by", None)
    if started is not None and started.is_active:
        return [started]
    return network_stewards()


def run_superseded(*, actor: Any, run: Any, successor: Any, reason: str = "") -> None:
    """A proposed run was replaced: a member objected, or an invoice in it changed before
    it could be applied. The run's steward hears it and which run replaces it."""
    objector = actor if reason and getattr(actor, "pk", None) else None
    notify(
        "clearing.run.changed",
        _run_stewards(run),
        actor=actor,
        target=run,
        context={
            "variant": "objected" if objector is not None else "recomputed",
            "run": run.pk,
            "successor": successor.pk,
            "currency": run.currency.code,
            "person": _name(objector),
            "reason": reason,
        },
        dedupe_key=f"run:{run.pk}",
        url=reverse("clearing:run", args=[successor.pk]),
    )


def run_lapsed(*, run: Any) -> None:
    notify(
        "clearing.run.changed",
        _run_stewards(run),
        actor=SYSTEM,
        target=run,
        context={"variant": "lapsed", "run": run.pk, "currency": run.currency.code},
        dedupe_key=f"run:{run.pk}",
        url=reverse("clearing:run", args=[run.pk]),
    )
