"""Every change of state in participatory budgeting: one function per use case, one
transaction each, permission check first, audit event last.

The secret-ballot design (receipts vs. ballots, ballot secrets, sealing at close) is
described in `solidaria.budgeting.models`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from solidaria.accounts import queries as member_queries
from solidaria.budgeting import engine_io
from solidaria.budgeting.models import (
    PHASE_ORDER,
    Ballot,
    BallotType,
    Completion,
    Electorate,
    Phase,
    PhaseSchedule,
    Process,
    Project,
    ProjectStatus,
    Result,
    Rule,
    VoterReceipt,
    VotingCode,
)
from solidaria.core import audit, throttle
from solidaria.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from solidaria.core.models import Visibility
from solidaria.core.permissions import is_member, require
from solidaria.notifications import events

# Above this many ballots a count runs as a background task (see tasks.py).
COUNT_INLINE_MAX_BALLOTS = 20_000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 12
MAX_CODES_PER_BATCH = 100_000


# ---------------------------------------------------------------- helpers


def _require_steward(actor: Any, process: Process | None = None) -> None:
    """Network stewards; for an existing process also its managers (`budgeting.managers`)."""
    require(actor, "budgeting.process.manage", process)


def _locked(process: Process) -> Process:
    return Process.objects.select_for_update().get(pk=process.pk)


def _normal_code(raw: str) -> str:
    """Voting codes are compared case-insensitively and without spaces or dashes."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def hash_code(raw: str) -> str:
    """The stored form of a voting code: HMAC-SHA256 under a server key, so a copy of the
    database alone does not let anyone try codes offline. The key is
    `SOLIDARIA_VOTING_CODE_KEY` if set, else derived from SECRET_KEY with its own salt."""
    key = getattr(django_settings, "SOLIDARIA_VOTING_CODE_KEY", None) or None
    return salted_hmac(
        "solidaria.budgeting.voting_code", _normal_code(raw), secret=key, algorithm="sha256"
    ).hexdigest()


def legacy_hash_code(raw: str) -> str:
    """How codes drawn before the keyed hash were stored (a bare SHA-256)."""
    return hashlib.sha256(_normal_code(raw).encode()).hexdigest()


def find_code(process: Process, raw: str) -> VotingCode | None:
    """The voting code `raw` of this process, or None. A code stored the old way is found
    too and its hash is replaced by the keyed one on the spot (call inside a transaction)."""
    if not raw.strip():
        return None
    found = VotingCode.objects.filter(process=process, code_hash=hash_code(raw)).first()
    if found is None:
        found = VotingCode.objects.filter(process=process, code_hash=legacy_hash_code(raw)).first()
        if found is not None:
            found.code_hash = hash_code(raw)
            found.save(update_fields=["code_hash"])
    return found


def voter_identity(process: Process, actor: Any, code: str = "") -> str | None:
    """Who votes, as bound into the ballot tag: the member, or the (hashed) voting code."""
    if process.electorate == Electorate.MEMBERS:
        return f"m{actor.pk}" if getattr(actor, "pk", None) else None
    return f"c{hash_code(code)}" if code.strip() else None


def ballot_tag(process_id: int, secret: str, voter: str) -> str:
    """HMAC of the voter's ballot secret and who they are; the only thing stored on the
    ballot. Without the voter's own session (member) or code (resident) the secret alone
    finds nothing, so a leaked secret cannot be used by anyone else."""
    return salted_hmac(
        "solidaria.budgeting.ballot", f"{process_id}:{voter}:{secret}", algorithm="sha256"
    ).hexdigest()


def _voting_opened_at(process: Process) -> datetime | None:
    """When voting actually opened: the members' electorate is fixed at that moment."""
    return (
        PhaseSchedule.objects.filter(process=process, phase=Phase.VOTING)
        .values_list("opened_at", flat=True)
        .first()
    )


def is_voting_open(process: Process, *, now: datetime | None = None) -> bool:
    """Voting is open in the voting phase, within the schedule's dates if it has any."""
    if process.phase != Phase.VOTING:
        return False
    now = now or timezone.now()
    slot = PhaseSchedule.objects.filter(process=process, phase=Phase.VOTING).first()
    if slot is None:
        return True
    if slot.starts_at and now < slot.starts_at:
        return False
    return not (slot.ends_at and now >= slot.ends_at)


# ---------------------------------------------------------------- processes


@dataclass(frozen=True)
class ProcessSettings:
    """What a steward chooses when creating a process (all amounts in minor units)."""

    title: str
    budget_minor: int
    slug: str = ""
    description: str = ""
    currency: str = "EUR"
    currency_exponent: int = 0
    electorate: str = Electorate.MEMBERS
    ballot_type: str = BallotType.APPROVAL
    min_length: int | None = None
    max_length: int | None = None
    max_sum_cost: int | None = None
    max_points: int | None = None
    min_sum_points: int | None = None
    max_sum_points: int | None = None
    rule: str = Rule.MES
    completion: str = Completion.ADD1
    rule_parameters: dict[str, Any] | None = None
    visibility: str = Visibility.PUBLIC


def _check_settings(s: ProcessSettings) -> None:
    if not s.title.strip():
        raise ValidationFailed(_("A process needs a title."), field="title")
    if s.budget_minor <= 0:
        raise ValidationFailed(_("The budget must be positive."), field="budget_minor")
    for field, choices in (
        ("electorate", Electorate),
        ("ballot_type", BallotType),
        ("rule", Rule),
        ("completion", Completion),
    ):
        if getattr(s, field) not in choices.values:
            raise ValidationFailed(
                _("Unknown value '%(value)s'.") % {"value": getattr(s, field)}, field=field
            )
    for field in engine_io.LIMIT_KEYS:
        value = getattr(s, field)
        if value is not None and value < 0:
            raise ValidationFailed(_("Must not be negative."), field=field)
    if s.min_length is not None and s.max_length is not None and s.min_length > s.max_length:
        raise ValidationFailed(
            _("The minimum number of projects is above the maximum."), field="min_length"
        )
    if s.ballot_type == BallotType.CUMULATIVE and not (s.max_points or s.max_sum_points):
        raise ValidationFailed(
            _("A cumulative ballot needs points per project or in total."), field="max_sum_points"
        )
    params = s.rule_parameters or {}
    if s.rule == Rule.GREEDY_THRESHOLD and "min_project_score_threshold" not in params:
        raise ValidationFailed(
            _("The threshold rule needs a 'min_project_score_threshold' parameter."),
            field="rule_parameters",
        )


def _unique_slug(base: str) -> str:
    slug = slugify(base)[:70] or "process"
    candidate, n = slug, 2
    while Process.objects.filter(slug=candidate).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


@transaction.atomic
def process_create(
    *,
    actor: Any,
    settings: ProcessSettings,
    schedule: dict[str, tuple[datetime | None, datetime | None]] | None = None,
    phase: str = Phase.SUBMISSION,
    source: str = "",
) -> Process:
    _require_steward(actor)
    _check_settings(settings)
    slug = settings.slug.strip()
    if slug and Process.objects.filter(slug=slug).exists():
        raise ValidationFailed(_("This short name is taken."), field="slug")
    process = Process.objects.create(
        slug=slug or _unique_slug(settings.title),
        title=settings.title.strip(),
        description=settings.description,
        currency=settings.currency,
        currency_exponent=settings.currency_exponent,
        budget_minor=settings.budget_minor,
        phase=phase,
        electorate=settings.electorate,
        ballot_type=settings.ballot_type,
        min_length=settings.min_length,
        max_length=settings.max_length,
        max_sum_cost=settings.max_sum_cost,
        max_points=settings.max_points,
        min_sum_points=settings.min_sum_points,
        max_sum_points=settings.max_sum_points,
        rule=settings.rule,
        completion=settings.completion,
        rule_parameters=settings.rule_parameters or {},
        visibility=settings.visibility,
        source=source,
        created_by=actor,
    )
    schedule = schedule or {}
    for kind in PHASE_ORDER:
        starts, ends = schedule.get(kind, (None, None))
        if starts and ends and starts > ends:
            raise ValidationFailed(_("A phase cannot end before it starts."), field=kind)
        PhaseSchedule.objects.create(
            process=process,
            phase=kind,
            starts_at=starts,
            ends_at=ends,
            opened_at=timezone.now() if kind == phase else None,
        )
    audit.record(actor=actor, verb="budgeting.process_create", obj=process)
    return process


@transaction.atomic
def rule_update(
    *, actor: Any, process: Process, rule: str, completion: str, parameters: dict[str, Any]
) -> Process:
    """Change the counting rule; every change bumps the version the next result records."""
    _require_steward(actor)
    process = _locked(process)
    if process.results.filter(published_at__isnull=False).exists():
        raise Conflict(_("Results are published; the rule can no longer change."))
    current = {
        "title": process.title,
        "budget_minor": process.budget_minor,
        "ballot_type": process.ballot_type,
        "max_points": process.max_points,
        "max_sum_points": process.max_sum_points,
    }
    _check_settings(
        ProcessSettings(**current, rule=rule, completion=completion, rule_parameters=parameters)
    )
    process.rule, process.completion, process.rule_parameters = rule, completion, parameters
    process.rule_version += 1
    process.save(update_fields=["rule", "completion", "rule_parameters", "rule_version"])
    audit.record(
        actor=actor,
        verb="budgeting.rule_update",
        obj=process,
        data={"rule": rule, "completion": completion, "parameters": parameters},
    )
    return process


def _seal_ballots(process: Process) -> int:
    """Rewrite the process's ballots in one transaction under fresh random ids, in id order,
    and drop their change tags: insertion-order traces (rowid, ctid, xmin) are reset."""
    rows = list(Ballot.objects.filter(process=process).values_list("projects", "points"))
    Ballot.objects.filter(process=process).delete()
    fresh = sorted(
        (Ballot(id=uuid.uuid4(), process=process, projects=p, points=pts) for p, pts in rows),
        key=lambda b: b.id,
    )
    Ballot.objects.bulk_create(fresh, batch_size=2000)
    return len(fresh)


@transaction.atomic
def phase_advance(*, actor: Any, process: Process) -> Process:
    """Move to the next phase. Leaving voting seals the ballots; entering voting needs at
    least one feasible project."""
    _require_steward(actor, process)
    process = _locked(process)
    index = PHASE_ORDER.index(process.phase)
    if index + 1 >= len(PHASE_ORDER):
        raise Conflict(_("The process is already in its last phase."))
    target = PHASE_ORDER[index + 1]
    if (
        target == Phase.VOTING
        and not process.projects.filter(status=ProjectStatus.FEASIBLE).exists()
    ):
        raise Conflict(_("No project is feasible yet; review the proposals first."))
    if target == Phase.VOTING:
        process.projects.filter(status=ProjectStatus.PROPOSED).update(
            status=ProjectStatus.REJECTED, review_note=_("Not reviewed before voting.")
        )
    sealed = _seal_ballots(process) if process.phase == Phase.VOTING else None
    previous = process.phase
    process.phase = target
    process.save(update_fields=["phase"])
    PhaseSchedule.objects.filter(process=process, phase=target).update(opened_at=timezone.now())
    audit.record(
        actor=actor,
        verb="budgeting.phase_advance",
        obj=process,
        data={"from": previous, "to": target, "sealed_ballots": sealed},
    )
    events.phase_changed(actor=actor, process=process)
    return process


# ---------------------------------------------------------------- projects


def _next_code(process: Process) -> str:
    n = process.projects.count() + 1
    while process.projects.filter(code=f"p{n}").exists():
        n += 1
    return f"p{n}"


@transaction.atomic
def project_submit(
    *,
    actor: Any,
    process: Process,
    title: str,
    description: str = "",
    cost_minor: int,
    category: str = "",
    district: str = "",
) -> Project:
    require(actor, "budgeting.project.propose")
    process = _locked(process)
    if process.phase != Phase.SUBMISSION:
        raise Conflict(_("Proposals are accepted only in the submission phase."))
    if not title.strip():
        raise ValidationFailed(_("A project needs a title."), field="title")
    if cost_minor <= 0:
        raise ValidationFailed(_("The cost must be positive."), field="cost_minor")
    if cost_minor > process.budget_minor:
        raise ValidationFailed(_("The cost is above the whole budget."), field="cost_minor")
    project = Project.objects.create(
        process=process,
        code=_next_code(process),
        title=title.strip(),
        description=description,
        cost_minor=cost_minor,
        category=category,
        district=district,
        proposer=actor,
    )
    audit.record(actor=actor, verb="budgeting.project_submit", obj=project)
    return project


@transaction.atomic
def project_review(
    *, actor: Any, project: Project, status: str, cost_minor: int | None = None, note: str = ""
) -> Project:
    """A steward marks a proposal feasible (possibly setting its real cost) or rejected."""
    _require_steward(actor, project.process)
    process = _locked(project.process)
    if process.phase not in (Phase.SUBMISSION, Phase.REVIEW):
        raise Conflict(_("Projects are reviewed before voting opens."))
    if status not in (ProjectStatus.FEASIBLE, ProjectStatus.REJECTED, ProjectStatus.PROPOSED):
        raise ValidationFailed(_("A review says feasible or rejected."), field="status")
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status == ProjectStatus.WITHDRAWN:
        raise Conflict(_("The project was withdrawn."))
    if cost_minor is not None:
        if cost_minor <= 0:
            raise ValidationFailed(_("The cost must be positive."), field="cost_minor")
        project.cost_minor = cost_minor
    project.status = status
    project.review_note = note
    project.save(update_fields=["status", "cost_minor", "review_note"])
    audit.record(
        actor=actor,
        verb="budgeting.project_review",
        obj=project,
        reason=note,
        data={"status": status, "cost_minor": project.cost_minor},
    )
    events.project_reviewed(actor=actor, project=project)
    return project


@transaction.atomic
def project_withdraw(*, actor: Any, project: Project, reason: str = "") -> Project:
    """The proposer or a steward withdraws a project before voting opens: it stays visible
    and cannot win. Once voting opened the ballot is fixed (ballots already cast name it)."""
    process = _locked(project.process)
    project = Project.objects.select_for_update().select_related("process").get(pk=project.pk)
    require(actor, "budgeting.project.withdraw", project)
    if PHASE_ORDER.index(process.phase) >= PHASE_ORDER.index(Phase.VOTING):
        raise Conflict(_("A project cannot be withdrawn once voting has opened."))
    if project.status == ProjectStatus.WITHDRAWN:
        raise Conflict(_("The project was already withdrawn."))
    project.status = ProjectStatus.WITHDRAWN
    project.save(update_fields=["status"])
    audit.record(actor=actor, verb="budgeting.project_withdraw", obj=project, reason=reason)
    return project


# ---------------------------------------------------------------- voters


@transaction.atomic
def codes_generate(*, actor: Any, process: Process, count: int) -> list[str]:
    """Draw `count` one-time codes for residents. They are returned once; only hashes stay."""
    _require_steward(actor, process)
    process = _locked(process)
    if process.electorate != Electorate.CODES:
        raise Conflict(_("Members vote in this process; it has no voting codes."))
    if process.phase == Phase.RESULTS:
        raise Conflict(_("Voting is over."))
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ValidationFailed(
            _("Between 1 and %(n)d codes at a time.") % {"n": MAX_CODES_PER_BATCH}, field="count"
        )
    batch = (process.codes.order_by("-batch").values_list("batch", flat=True).first() or 0) + 1
    raw_codes: list[str] = []
    hashes: set[str] = set()
    while len(raw_codes) < count:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        digest = hash_code(raw)
        if digest in hashes:
            continue
        hashes.add(digest)
        raw_codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    VotingCode.objects.bulk_create(
        [VotingCode(process=process, code_hash=h, batch=batch) for h in hashes], batch_size=2000
    )
    audit.record(actor=actor, verb="budgeting.codes_generate", obj=process, data={"count": count})
    return raw_codes


@dataclass(frozen=True)
class CastOutcome:
    secret: str
    is_change: bool


def ballot_cast(
    *,
    actor: Any,
    process: Process,
    projects: list[str],
    points: list[int] | None = None,
    code: str = "",
    secret: str = "",
    client: str = "",
) -> CastOutcome:
    """Cast or change a ballot. Refused (and nothing stored) outside open voting, for a
    non-member or an unknown code, for an invalid ballot, and for a second vote that does
    not present the secret of the first from the same voter (member session or code).

    `client` (the caller's address) throttles voting codes: wrong codes from one address
    count in the "voting_code" scope and, past the limit, every code from it is refused
    with TooManyAttempts for a while. Pages and API pass it; without it there is no limit.
    """
    throttled = bool(client) and process.electorate == Electorate.CODES
    if throttled:
        throttle.check("voting_code", client)
    try:
        return _ballot_cast(
            actor=actor, process=process, projects=projects, points=points, code=code, secret=secret
        )
    except IntegrityError as exc:  # two first votes by one voter raced; the loser is refused
        raise Conflict(_("You have already voted.")) from exc
    except PermissionDenied as exc:
        if throttled and exc.field == "code":
            throttle.fail("voting_code", client)
        raise


@transaction.atomic
def _ballot_cast(
    *,
    actor: Any,
    process: Process,
    projects: list[str],
    points: list[int] | None,
    code: str,
    secret: str,
) -> CastOutcome:
    process = _locked(process)
    if not is_voting_open(process):
        raise PermissionDenied(_("Voting is not open."))
    receipt_filter: dict[str, Any]
    voting_code: VotingCode | None = None
    if process.electorate == Electorate.MEMBERS:
        if not is_member(actor):
            raise PermissionDenied(_("Only admitted members of the network may vote here."))
        opened = _voting_opened_at(process)
        if opened is not None and not member_queries.was_member_at(actor, opened):
            raise PermissionDenied(
                _("You were not yet a member when voting opened, so you cannot vote here.")
            )
        receipt_filter = {"process": process, "voter": actor}
    else:
        voting_code = find_code(process, code or "")
        if voting_code is None:
            raise PermissionDenied(
                _("This voting code is not valid for this process."), field="code"
            )
        receipt_filter = {"process": process, "code": voting_code}
    voter = voter_identity(process, actor, code) or ""  # a member or a valid code by now
    choice = engine_io.validate_ballot(process, projects=projects, points=points)
    receipt = VoterReceipt.objects.filter(**receipt_filter).first()
    if receipt is not None:
        ballot = (
            Ballot.objects.filter(
                process=process, change_tag=ballot_tag(process.pk, secret, voter)
            ).first()
            if secret
            else None
        )
        if ballot is None:
            raise Conflict(
                _(
                    "You have already voted. To change your ballot, use the browser you voted "
                    "with or give your ballot secret."
                ),
                field="secret",
            )
        ballot.projects, ballot.points = choice.projects, choice.points
        ballot.save(update_fields=["projects", "points"])
        # The same anonymous event as a first vote: the journal says a ballot was cast in
        # the process that day; not by whom, not when exactly, not which, not if changed.
        audit.record(actor=None, verb="budgeting.ballot.cast", obj=process, anonymous=True)
        return CastOutcome(secret=secret, is_change=True)
    VoterReceipt.objects.create(**receipt_filter)
    new_secret = secrets.token_urlsafe(24)
    Ballot.objects.create(
        process=process,
        projects=choice.projects,
        points=choice.points,
        change_tag=ballot_tag(process.pk, new_secret, voter),
    )
    audit.record(actor=None, verb="budgeting.ballot.cast", obj=process, anonymous=True)
    return CastOutcome(secret=new_secret, is_change=False)


# ---------------------------------------------------------------- counting


def count_request(*, actor: Any, process: Process) -> Result | None:
    """Run the count now for ordinary sizes, or as a background task for big ones
    (returns None then; the result appears on the results page when the task is done)."""
    _require_steward(actor, process)
    if process.ballots.count() <= COUNT_INLINE_MAX_BALLOTS:
        return count_run(actor=actor, process=process)
    from solidaria.budgeting.tasks import count_process

    task_result = count_process.enqueue(process_id=process.pk, actor_id=actor.pk)
    if task_result.is_finished and task_result.return_value is not None:
        return Result.objects.get(pk=task_result.return_value)
    return None


@transaction.atomic
def count_run(*, actor: Any, process: Process) -> Result:
    """Count the ballots with the process's rule and store the result with its engine
    version and parameters. Allowed once voting is over."""
    _require_steward(actor, process)
    process = _locked(process)
    if process.phase != Phase.RESULTS:
        raise Conflict(_("Count after the voting phase has closed."))
    outcome = engine_io.count_outcome(process)
    result = Result.objects.create(
        process=process,
        rule=process.rule,
        engine_rule=outcome.engine_rule,
        parameters=outcome.parameters,
        rule_version=process.rule_version,
        engine_version=outcome.engine_version,
        budget_minor=process.budget_minor,
        selected=outcome.selected,
        total_cost_minor=outcome.total_cost,
        num_ballots=outcome.num_ballots,
        projects=outcome.projects,
        details=outcome.details,
        counted_by=actor,
    )
    audit.record(
        actor=actor,
        verb="budgeting.count",
        obj=result,
        data={"selected": outcome.selected, "rule": outcome.engine_rule},
    )
    return result


@transaction.atomic
def result_publish(*, actor: Any, result: Result) -> Result:
    """Publish one count; publishing another later replaces it as the official one."""
    _require_steward(actor, result.process)
    result = Result.objects.select_for_update().get(pk=result.pk)
    if result.published_at is not None:
        raise Conflict(_("This result is already published."))
    Result.objects.filter(process_id=result.process_id, published_at__isnull=False).update(
        published_at=None
    )
    result.published_at = timezone.now()
    result.save(update_fields=["published_at"])
    audit.record(actor=actor, verb="budgeting.result_publish", obj=result)
    return result


# ---------------------------------------------------------------- import


@transaction.atomic
def process_import_pabulib(
    *, actor: Any, text: str, source: str = "", slug: str = "", title: str = ""
) -> Process:
    """Create a finished-voting process (phase: results) from a Pabulib file: its META
    settings, its projects and its votes as anonymised ballots (voter ids dropped)."""
    _require_steward(actor)
    data = engine_io.read_pabulib(text)
    settings = data.settings(title=title, slug=slug)
    process = process_create(
        actor=actor, settings=settings, phase=Phase.RESULTS, source=source or "pabulib"
    )
    Project.objects.bulk_create(
        [
            Project(
                process=process,
                code=p.code,
                title=p.title[:300],
                description=p.description,
                cost_minor=p.cost,
                category=p.category[:200],
                district=p.district[:200],
                status=ProjectStatus.WITHDRAWN if p.is_withdrawn else ProjectStatus.FEASIBLE,
            )
            for p in data.projects
        ],
        batch_size=2000,
    )
    ballots = sorted(
        (
            Ballot(
                id=uuid.uuid4(),
                process=process,
                projects=list(b.projects),
                points=list(b.points),
                is_imported=True,
            )
            for b in data.ballots
        ),
        key=lambda b: b.id,
    )
    Ballot.objects.bulk_create(ballots, batch_size=2000)
    audit.record(
        actor=actor,
        verb="budgeting.process_import",
        obj=process,
        data={"source": source, "projects": len(data.projects), "ballots": len(ballots)},
    )
    return process


def project_or_404(*, process: Process, project_id: int) -> Project:
    project = Project.objects.filter(process=process, pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."))
    return project
