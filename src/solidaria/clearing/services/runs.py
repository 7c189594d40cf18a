"""Clearing runs: a steward starts one (computed by a background task), then proposes
its set-off to the members it touches with a deadline, or rejects it.

Each member it touches accepts or objects (`run_respond`). The run is applied when the
network's acceptance rule (settings.SOLIDARIA["CLEARING_ACCEPTANCE"], recorded on the run
when it is proposed) is met:

- every member it touches accepted: applied at once, under either rule;
- the deadline passed (`runs_apply_due`, run by `solidaria clearing apply-due` or the
  `apply_due_runs` task): under "no_objection" it is applied, under "all_accept" it lapses;
- a member objects: the run is replaced by a new one computed without that member's
  obligations (a new snapshot), proposed again with a window as long as the first.

Applying re-checks that no obligation changed since the snapshot and writes every
set-off in one transaction; when one did change (disputed, withdrawn, paid), the run is
recomputed and proposed again instead. A run is applied at most once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.clearing import queries, settlement
from solidaria.clearing.models import (
    AcceptanceRule,
    ClearingRun,
    Obligation,
    RunItem,
    RunResponse,
    SetOff,
)
from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM, require
from solidaria.ledger.models import Currency
from solidaria.notifications import events

OPEN = [ClearingRun.Status.QUEUED, ClearingRun.Status.RUNNING, ClearingRun.Status.PROPOSED]


def acceptance_rule() -> str:
    """The network's rule for applying a proposed run (a setting; default: no objection)."""
    rule = settings.SOLIDARIA.get("CLEARING_ACCEPTANCE", AcceptanceRule.NO_OBJECTION)
    if rule not in AcceptanceRule.values:
        raise ImproperlyConfigured(
            f"SOLIDARIA['CLEARING_ACCEPTANCE'] must be one of {AcceptanceRule.values}, not {rule!r}"
        )
    return str(rule)


def _eligible(currency: Currency, excluded: Iterable[int] = ()) -> Iterable[Obligation]:
    rows = Obligation.objects.filter(
        currency=currency, status=Obligation.Status.CONFIRMED, remaining_minor__gt=0
    )
    left_out = list(excluded)
    if left_out:
        rows = rows.exclude(debtor_id__in=left_out).exclude(creditor_id__in=left_out)
    return rows.order_by("pk").only("pk", "debtor_id", "creditor_id", "remaining_minor", "version")


def snapshot_hash(rows: Iterable[tuple[int, int, int]]) -> str:
    """Hash of (obligation id, version, remaining) for every obligation a run saw."""
    digest = hashlib.sha256()
    for pk, version, remaining in rows:
        digest.update(f"{pk}:{version}:{remaining};".encode())
    return digest.hexdigest()


def run_start(*, actor: Any, currency: Currency) -> ClearingRun:
    """A steward starts a run; the computation is a background task."""
    from solidaria.clearing.tasks import compute_run

    require(actor, "clearing.run.manage")
    with transaction.atomic():
        if ClearingRun.objects.filter(currency=currency, status__in=OPEN).exists():
            raise Conflict(
                _("a clearing run for this currency is in progress or awaits its members")
            )
        run = ClearingRun.objects.create(currency=currency, started_by=actor)
        audit.record(actor=actor, verb="clearing.run.start", obj=run)
    compute_run.enqueue(run.pk)
    run.refresh_from_db()
    return run


def _progress(run: ClearingRun, percent: int, note: str) -> None:
    ClearingRun.objects.filter(pk=run.pk).update(progress=percent, progress_note=note)


def run_compute(run_id: int) -> ClearingRun:
    """The task body: snapshot the confirmed obligations, solve, store the proposal. A run
    that replaces an objected one is proposed to its members at once."""
    run = ClearingRun.objects.get(pk=run_id)
    if run.status not in (ClearingRun.Status.QUEUED, ClearingRun.Status.FAILED):
        return run
    ClearingRun.objects.filter(pk=run.pk).update(status=ClearingRun.Status.RUNNING)
    try:
        _progress(run, 5, "reading obligations")
        obligations = list(_eligible(run.currency, run.excluded_members))
        _progress(run, 25, f"solving {len(obligations)} obligations")
        solved = settlement.solve(
            [(o.debtor_id, o.creditor_id, o.remaining_minor) for o in obligations],
            format_amount=run.currency.format,
        )
        _progress(run, 75, "storing the proposal")
        with transaction.atomic():
            RunItem.objects.bulk_create(
                [
                    RunItem(
                        run=run,
                        obligation_id=o.pk,
                        version_seen=o.version,
                        remaining_before=o.remaining_minor,
                        setoff_minor=s,
                    )
                    for o, s in zip(obligations, solved.setoffs, strict=True)
                ],
                batch_size=5000,
            )
            is_reproposal = run.previous_id is not None and run.deadline is not None
            now = timezone.now()
            ClearingRun.objects.filter(pk=run.pk).update(
                status=ClearingRun.Status.PROPOSED
                if is_reproposal
                else ClearingRun.Status.COMPUTED,
                proposed_at=now if is_reproposal else None,
                progress=100,
                progress_note="",
                obligation_count=len(obligations),
                snapshot_hash=snapshot_hash(
                    (o.pk, o.version, o.remaining_minor) for o in obligations
                ),
                engine_version=solved.engine_version,
                summary=solved.summary,
                cycles=solved.cycles,
                computed_at=now,
            )
            if is_reproposal:
                proposed = _locked_run(run.pk)
                _apply_if_all_accepted(proposed, actor=SYSTEM)
                if proposed.status == ClearingRun.Status.PROPOSED:
                    _tell(proposed, actor=SYSTEM, kind="clearing.run.proposed")
    except Exception as exc:  # the run records why it failed; the steward can retry
        ClearingRun.objects.filter(pk=run.pk).update(
            status=ClearingRun.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    run.refresh_from_db()
    return run


def _locked_run(run: ClearingRun | int) -> ClearingRun:
    pk = run.pk if isinstance(run, ClearingRun) else run
    found = ClearingRun.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such clearing run"))
    return found


def _decided(run: ClearingRun, status: str, actor: Any, reason: str) -> None:
    run.status = status
    run.decided_by = actor if getattr(actor, "pk", None) else None
    run.decided_at = timezone.now()
    run.decision_reason = reason
    run.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])


# --- proposing to members, their answers, applying ------------------------------------


@transaction.atomic
def run_propose(
    *, actor: Any, run: ClearingRun | int, deadline: datetime, reason: str = ""
) -> ClearingRun:
    """A steward proposes a computed run to the members it touches, who answer by
    `deadline`. Proposing it again with the same deadline changes nothing."""
    require(actor, "clearing.run.manage")
    locked = _locked_run(run)
    if locked.status == ClearingRun.Status.PROPOSED and locked.deadline == deadline:
        return locked
    if locked.status != ClearingRun.Status.COMPUTED:
        raise Conflict(
            _("only a computed run can be proposed; this one is %(status)s")
            % {"status": locked.get_status_display()}
        )
    now = timezone.now()
    if timezone.is_naive(deadline) or deadline <= now:
        raise ValidationFailed(_("the deadline must be in the future"), field="deadline")
    locked.status = ClearingRun.Status.PROPOSED
    locked.proposed_at = now
    locked.deadline = deadline
    locked.acceptance_rule = acceptance_rule()
    locked.decision_reason = reason
    locked.save(
        update_fields=["status", "proposed_at", "deadline", "acceptance_rule", "decision_reason"]
    )
    audit.record(
        actor=actor,
        verb="clearing.run.propose",
        obj=locked,
        reason=reason,
        data={"deadline": deadline.isoformat(), "rule": locked.acceptance_rule},
    )
    _apply_if_all_accepted(locked, actor=actor)
    if locked.status == ClearingRun.Status.PROPOSED:
        _tell(locked, actor=actor, kind="clearing.run.proposed")
    return locked


def _tell(run: ClearingRun, *, actor: Any, kind: str) -> None:
    """Each member the run touches hears (after commit) how much of theirs it sets off."""
    events.run_event(actor=actor, run=run, kind=kind, amounts=queries.setoff_by_member(run))


@transaction.atomic
def run_respond(
    *, actor: Any, run: ClearingRun | int, answer: str, reason: str = ""
) -> ClearingRun:
    """A member the run touches accepts its set-off or objects to it, once, before the
    deadline. Answering the same again changes nothing. Returns the run that now stands:
    after an objection, the recomputed one that replaces it."""
    locked = _locked_run(run)
    require(actor, "clearing.run.respond", locked)
    if answer not in RunResponse.Answer.values:
        raise ValidationFailed(_("answer accept or object"), field="answer")
    given = RunResponse.objects.filter(run=locked, member=actor).first()
    if given is not None:
        if given.answer == answer:
            return _standing(locked)
        raise Conflict(_("you already answered this proposal"))
    if locked.status != ClearingRun.Status.PROPOSED:
        raise Conflict(
            _("this run is not awaiting answers; it is %(status)s")
            % {"status": locked.get_status_display()}
        )
    now = timezone.now()
    if locked.deadline is not None and now >= locked.deadline:
        raise Conflict(_("the deadline for answers has passed"))
    if answer == RunResponse.Answer.OBJECT and not reason.strip():
        raise ValidationFailed(_("say why you object"), field="reason")
    RunResponse.objects.create(run=locked, member=actor, answer=answer, reason=reason, at=now)
    audit.record(actor=actor, verb=f"clearing.run.{answer}", obj=locked, reason=reason)
    if answer == RunResponse.Answer.OBJECT:
        return _supersede(locked, actor=actor, excluding=[actor.pk], reason=reason)
    _apply_if_all_accepted(locked, actor=actor)
    return locked


def _standing(run: ClearingRun) -> ClearingRun:
    """The run that replaced `run` (after objections or changes), or `run` itself."""
    current = run
    while (nxt := current.successors.order_by("-pk").first()) is not None:
        current = nxt
    return current


def _supersede(
    locked: ClearingRun, *, actor: Any, excluding: list[int], reason: str
) -> ClearingRun:
    """Replace a proposed run by a new one over the obligations as they are now, leaving
    out the members in `excluding` (and those the run already left out); the new run is
    computed after commit and proposed with a window as long as this one's."""
    from solidaria.clearing.tasks import compute_run

    _decided(locked, ClearingRun.Status.SUPERSEDED, actor, locked.decision_reason)
    now = timezone.now()
    window = (locked.deadline or now) - (locked.proposed_at or now)
    successor = ClearingRun.objects.create(
        currency=locked.currency,
        started_by=locked.started_by,
        previous=locked,
        excluded_members=sorted(set(locked.excluded_members) | set(excluding)),
        deadline=now + window,
        acceptance_rule=locked.acceptance_rule,
        decision_reason=locked.decision_reason,
        visibility=locked.visibility,
    )
    audit.record(
        actor=actor,
        verb="clearing.run.supersede",
        obj=locked,
        reason=reason,
        data={"successor": successor.pk, "excluded": successor.excluded_members},
    )
    events.run_superseded(actor=actor, run=locked, successor=successor, reason=reason)
    transaction.on_commit(lambda: compute_run.enqueue(successor.pk))
    return successor


def _apply_if_all_accepted(locked: ClearingRun, *, actor: Any) -> None:
    if queries.affected_member_ids(locked) <= set(
        locked.responses.filter(answer=RunResponse.Answer.ACCEPT).values_list(
            "member_id", flat=True
        )
    ):
        _apply(locked, actor=actor)


def _apply(locked: ClearingRun, *, actor: Any) -> ClearingRun:
    """Write every set-off of the run, or, when an obligation changed since the snapshot,
    replace the run by a recomputed proposal. Returns the run that now stands."""
    items = list(locked.items.order_by("obligation_id"))
    obligations = {
        o.pk: o
        for o in Obligation.objects.select_for_update()
        .filter(pk__in=[i.obligation_id for i in items])
        .order_by("pk")
    }
    changed = [
        i.obligation_id
        for i in items
        if obligations[i.obligation_id].version != i.version_seen
        or obligations[i.obligation_id].remaining_minor != i.remaining_before
        or obligations[i.obligation_id].status != Obligation.Status.CONFIRMED
    ]
    if changed:
        return _supersede(locked, actor=actor, excluding=[], reason="")
    now = timezone.now()
    setoffs = []
    for item in items:
        if item.setoff_minor == 0:
            continue
        ob = obligations[item.obligation_id]
        ob.remaining_minor -= item.setoff_minor
        ob.version += 1
        if ob.remaining_minor == 0:
            ob.status = Obligation.Status.SETTLED
        setoffs.append(
            SetOff(run=locked, obligation=ob, amount_minor=item.setoff_minor, applied_at=now)
        )
    Obligation.objects.bulk_update(
        [obligations[s.obligation.pk] for s in setoffs],
        ["remaining_minor", "version", "status"],
        batch_size=5000,
    )
    SetOff.objects.bulk_create(setoffs, batch_size=5000)
    _decided(locked, ClearingRun.Status.ACCEPTED, actor, locked.decision_reason)
    audit.record(
        actor=actor,
        verb="clearing.run.apply",
        obj=locked,
        data={"setoffs": len(setoffs), "total": sum(s.amount_minor for s in setoffs)},
    )
    _tell(locked, actor=actor, kind="clearing.run.applied")
    return locked


@dataclass
class DueReport:
    applied: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    recomputed: list[int] = field(default_factory=list)


def runs_apply_due(*, now: datetime | None = None) -> DueReport:
    """Every proposed run whose deadline has passed: applied under "no_objection" (an
    objection would have replaced it), lapsed under "all_accept" unless all accepted.
    One transaction per run; the platform acts (`SYSTEM`)."""
    now = now or timezone.now()
    report = DueReport()
    due = ClearingRun.objects.filter(status=ClearingRun.Status.PROPOSED, deadline__lte=now)
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            locked = _locked_run(pk)
            if locked.status != ClearingRun.Status.PROPOSED:
                continue
            accepted = set(
                locked.responses.filter(answer=RunResponse.Answer.ACCEPT).values_list(
                    "member_id", flat=True
                )
            )
            everyone = queries.affected_member_ids(locked) <= accepted
            if locked.acceptance_rule == AcceptanceRule.ALL_ACCEPT and not everyone:
                _decided(locked, ClearingRun.Status.LAPSED, SYSTEM, locked.decision_reason)
                audit.record(actor=SYSTEM, verb="clearing.run.lapse", obj=locked)
                events.run_lapsed(run=locked)
                report.lapsed.append(pk)
                continue
            standing = _apply(locked, actor=SYSTEM)
            (report.applied if standing.pk == pk else report.recomputed).append(pk)
    return report


@transaction.atomic
def run_reject(*, actor: Any, run: ClearingRun | int, reason: str) -> ClearingRun:
    """A steward rejects a computed run, or withdraws a proposal: nothing is applied."""
    require(actor, "clearing.run.manage")
    locked = _locked_run(run)
    if locked.status == ClearingRun.Status.REJECTED:
        return locked
    if locked.status not in (ClearingRun.Status.COMPUTED, ClearingRun.Status.PROPOSED):
        raise Conflict(_("only a computed or proposed run can be rejected"))
    _decided(locked, ClearingRun.Status.REJECTED, actor, reason)
    audit.record(actor=actor, verb="clearing.run.reject", obj=locked, reason=reason)
    return locked
