"""The bridge between the database and the pure engine (solidaria.budgeting.engine).

The engine speaks Pabulib: an Instance (projects, budget, META) and a Profile (ballots as
project indices). These functions translate between it and the database (ballot
validation, counting, Pabulib reading and writing), so that services, pages and the API
all call the engine the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from solidaria.budgeting.engine import model as em
from solidaria.budgeting.engine import pabulib as epb
from solidaria.budgeting.models import (
    Ballot,
    BallotType,
    Completion,
    Electorate,
    Process,
    Project,
    ProjectStatus,
    Result,
    Rule,
)
from solidaria.budgeting.queries import anonymised_ballots, ballot_projects, money
from solidaria.core.errors import ValidationFailed

MES_RULES = {
    Completion.NONE: "mes",
    Completion.ADD1: "equalshares/add1",
    Completion.ADD1_COMPARISON: "equalshares/add1-comparison",
    Completion.ADD1_PABUTOOLS: "mes/add1-pabutools",
}
PABULIB_TO_SETTINGS: dict[str, tuple[str, str]] = {
    "greedy": (Rule.GREEDY, Completion.NONE),
    "greedy-threshold": (Rule.GREEDY_THRESHOLD, Completion.NONE),
    "greedy-no-skip": (Rule.GREEDY_NO_SKIP, Completion.NONE),
    "phragmen": (Rule.PHRAGMEN, Completion.NONE),
    "equalshares": (Rule.MES, Completion.NONE),
    **{name: (Rule.MES, completion) for completion, name in MES_RULES.items()},
}
LIMIT_KEYS = (
    "min_length",
    "max_length",
    "max_sum_cost",
    "max_points",
    "min_sum_points",
    "max_sum_points",
)


def engine_rule_name(process: Process) -> str:
    if process.rule == Rule.MES:
        return MES_RULES[Completion(process.completion)]
    return str(process.rule)


def engine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from solidaria.budgeting import engine

    declared = getattr(engine, "__version__", None)
    if declared:
        return str(declared)
    try:
        return f"solidaria-{version('solidaria')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "solidaria-dev"


def engine_meta(process: Process) -> dict[str, str]:
    """The process's settings under Pabulib's META names (the engine reads limits there)."""
    meta = {
        "description": process.title,
        "unit": process.slug,
        "budget": str(process.budget_minor),
        "vote_type": str(process.ballot_type),
        "rule": engine_rule_name(process),
        "currency": process.currency,
    }
    for key in LIMIT_KEYS:
        value = getattr(process, key)
        if value is not None:
            meta[key] = str(value)
    for key, value in (process.rule_parameters or {}).items():
        meta[str(key)] = str(value)
    return meta


def _ballot_projects(process: Process) -> list[Project]:
    """The projects that were on the ballot: feasible ones and withdrawn ones (which the
    engine sees with Pabulib's withdrawn cost), in id order."""
    return list(
        process.projects.filter(
            status__in=[ProjectStatus.FEASIBLE, ProjectStatus.WITHDRAWN]
        ).order_by("id")
    )


def _engine_project(p: Project, **more: Any) -> em.Project:
    return em.Project(
        id=p.code,
        cost=em.WITHDRAWN_COST if p.status == ProjectStatus.WITHDRAWN else p.cost_minor,
        name=p.title,
        categories=tuple(c.strip() for c in p.category.split(",") if c.strip()),
        **more,
    )


def _engine_ballots(
    process: Process, projects: list[Project], rows: Iterable[tuple[Any, Any]]
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """(project indexes, points) per stored ballot; codes not on the ballot are dropped,
    points only for cumulative ballots."""
    index = {p.code: i for i, p in enumerate(projects)}
    has_points = process.ballot_type == BallotType.CUMULATIVE
    ballots: list[tuple[int, ...]] = []
    points: list[tuple[int, ...]] = []
    for codes, pts in rows:
        kept = [(index[c], k) for k, c in enumerate(codes) if c in index]
        ballots.append(tuple(i for i, _k in kept))
        if has_points:
            points.append(tuple(int(pts[k]) for _i, k in kept))
    return ballots, points


def engine_election(
    process: Process, *, only: QuerySet[Ballot] | None = None
) -> tuple[em.Instance, em.Profile, list[Project]]:
    """Projects that were on the ballot (feasible, plus withdrawn ones, which the engine
    sees with Pabulib's withdrawn cost) and all ballots, as engine data."""
    projects = _ballot_projects(process)
    engine_projects = tuple(_engine_project(p) for p in projects)
    rows = (only if only is not None else Ballot.objects.filter(process=process)).values_list(
        "projects", "points"
    )
    ballots, points = _engine_ballots(process, projects, rows.iterator(chunk_size=5000))
    has_points = process.ballot_type == BallotType.CUMULATIVE
    instance = em.Instance(engine_projects, process.budget_minor, engine_meta(process))
    profile = em.Profile(
        em.BallotType(str(process.ballot_type)),
        tuple(ballots),
        tuple(points) if has_points else None,
    )
    return instance, profile, projects


@dataclass(frozen=True)
class BallotChoice:
    projects: list[str]
    points: list[int]


def validate_ballot(
    process: Process, *, projects: list[str], points: list[int] | None
) -> BallotChoice:
    """Check a ballot against the process's rules; ValidationFailed names the field."""
    if not isinstance(projects, list) or not all(isinstance(c, str) for c in projects):
        raise ValidationFailed(_("Give a list of project ids."), field="projects")
    if len(set(projects)) != len(projects):
        raise ValidationFailed(_("A project appears twice on the ballot."), field="projects")
    on_ballot = dict(ballot_projects(process).values_list("code", "cost_minor"))
    unknown = [c for c in projects if c not in on_ballot]
    if unknown:
        raise ValidationFailed(
            _("Not on this ballot: %(ids)s.") % {"ids": ", ".join(unknown)}, field="projects"
        )
    pts = list(points or [])
    if process.ballot_type == BallotType.CUMULATIVE:
        if len(pts) != len(projects) or not all(isinstance(x, int) for x in pts):
            raise ValidationFailed(_("Give points for each chosen project."), field="points")
    elif pts:
        raise ValidationFailed(_("This ballot takes no points."), field="points")
    reason = engine_ballot_problem(process, projects=projects, points=pts, costs=on_ballot)
    if reason:
        field = "points" if "point" in reason.lower() else "projects"
        raise ValidationFailed(reason, field=field)
    return BallotChoice(projects=list(projects), points=pts)


@dataclass(frozen=True)
class CountOutcome:
    engine_rule: str
    parameters: dict[str, Any]
    engine_version: str
    selected: list[str]
    total_cost: int
    num_ballots: int
    projects: list[dict[str, Any]]
    details: dict[str, Any]


def count_outcome(process: Process) -> CountOutcome:
    """Run the process's rule in the engine; per-project rows keep the engine's details."""
    instance, profile, projects = engine_election(process)
    rule = engine_rule_name(process)
    utility = str((process.rule_parameters or {}).get("utility", "cost"))
    outcome = engine_count(instance, profile, rule, utility)
    support = engine_scores(instance, profile)
    selected = set(outcome.selected)
    rows = [
        {
            "code": p.code,
            "title": p.title,
            "cost": p.cost_minor,
            "status": p.status,
            "support": support[i],
            "selected": p.code in selected,
            "detail": outcome.details[p.code].as_json() if p.code in outcome.details else {},
            "price_each": _payment_each(
                process, rule, outcome.details.get(p.code), p.cost_minor, utility
            ),
        }
        for i, p in enumerate(projects)
    ]
    parameters = {
        key: value for key, value in engine_meta(process).items() if key not in ("description",)
    }
    parameters.update({f"engine.{k}": _jsonable(v) for k, v in outcome.parameters.items()})
    return CountOutcome(
        engine_rule=rule,
        parameters=parameters,
        engine_version=engine_version(),
        selected=list(outcome.selected),
        total_cost=outcome.cost,
        num_ballots=profile.num_voters,
        projects=rows,
        details={"notes": [str(n) for n in getattr(outcome, "notes", ())]},
    )


def _payment_each(process: Process, rule: str, detail: Any, cost: int, utility: str) -> str | None:
    """What MES's price means per supporter: price x utility (cost utilities: x cost).
    None for points ballots, where each supporter pays in proportion to their points, and
    for rules other than MES (they have no price per unit of utility)."""
    from solidaria.budgeting.engine.rules import rule_family

    price = getattr(detail, "price", None)
    if rule_family(rule) != "mes" or price is None:
        return None
    if process.ballot_type not in (BallotType.APPROVAL, BallotType.CHOOSE_1):
        return None
    each = Fraction(price) * (cost if utility == "cost" else 1)
    return str(each)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class ImportedProject:
    code: str
    title: str
    description: str
    cost: int
    category: str
    district: str
    is_withdrawn: bool


@dataclass(frozen=True)
class ImportedBallot:
    projects: tuple[str, ...]
    points: tuple[int, ...]


@dataclass(frozen=True)
class ImportedElection:
    meta: dict[str, str]
    budget: int
    ballot_type: str
    projects: list[ImportedProject]
    ballots: list[ImportedBallot]
    decimals: int = 0
    """Amounts are in units of 10 ** -decimals of the currency (a file with cents: 2)."""

    def settings(self, *, title: str = "", slug: str = "") -> Any:
        from solidaria.budgeting.services import ProcessSettings

        meta = self.meta
        rule, completion = PABULIB_TO_SETTINGS.get(
            meta.get("rule", ""), (Rule.MES, Completion.ADD1)
        )
        parameters: dict[str, Any] = {}
        if meta.get("min_project_score_threshold"):
            parameters["min_project_score_threshold"] = _meta_int(
                meta["min_project_score_threshold"]
            )
        if rule == Rule.GREEDY_THRESHOLD and not parameters:
            rule = Rule.GREEDY
        limits = {key: _meta_int(meta[key]) if meta.get(key) else None for key in LIMIT_KEYS}
        default_title = " ".join(
            v
            for v in (meta.get("unit", ""), meta.get("instance", ""), meta.get("subunit", ""))
            if v
        )
        return ProcessSettings(
            title=title or default_title or meta.get("description", "") or "Pabulib",
            slug=slug,
            description=meta.get("description", ""),
            currency=meta.get("currency", "")[:8] or "EUR",
            currency_exponent=self.decimals,
            budget_minor=self.budget,
            electorate=Electorate.MEMBERS,
            ballot_type=self.ballot_type,
            rule=rule,
            completion=completion,
            rule_parameters=parameters,
            **limits,
        )


def _meta_int(raw: str) -> int:
    return int(Fraction(raw.strip().replace(",", ".")))


def read_pabulib(text: str) -> ImportedElection:
    """Parse a Pabulib file; malformed files raise ValidationFailed naming section and line."""
    try:
        instance, profile = epb.parse(text)
    except epb.PabulibError as exc:
        raise ValidationFailed(str(exc), field="file") from exc
    if profile.ballot_type.value not in BallotType.values:
        raise ValidationFailed(
            _("Ballots of type '%(type)s' are not supported.") % {"type": profile.ballot_type},
            field="file",
        )
    projects = [
        ImportedProject(
            code=p.id,
            title=p.name or p.id,
            description=p.extra.get("description", ""),
            cost=p.cost,
            category=", ".join(p.categories),
            district=p.extra.get("district", "") or p.extra.get("neighborhood", ""),
            is_withdrawn=p.is_withdrawn,
        )
        for p in instance.projects
    ]
    ids = [p.id for p in instance.projects]
    ballots = [
        ImportedBallot(
            projects=tuple(ids[i] for i in ballot),
            points=tuple(profile.points[v]) if profile.points is not None else (),
        )
        for v, ballot in enumerate(profile.ballots)
    ]
    return ImportedElection(
        meta=dict(instance.meta),
        budget=instance.budget,
        ballot_type=profile.ballot_type.value,
        projects=projects,
        ballots=ballots,
        decimals=instance.decimals,
    )


def pabulib_text(process: Process, result: Result | None) -> str:
    """The process as a Pabulib file: anonymised ballots (numbered in the hash order of
    `anonymised_ballots`) and, when a result is given, its `selected` column."""
    projects = _ballot_projects(process)
    selected = set(result.selected) if result else set()
    support = {r["code"]: r.get("support", 0) for r in result.projects} if result else {}
    engine_projects = tuple(
        _engine_project(
            p,
            selected=(1 if p.code in selected else 0) if result else None,
            extra={"votes": str(support.get(p.code, 0))} if result else {},
        )
        for p in projects
    )
    has_points = process.ballot_type == BallotType.CUMULATIVE
    ballots, points = _engine_ballots(process, projects, anonymised_ballots(process))
    meta = engine_meta(process)
    meta["num_projects"] = str(len(projects))
    meta["num_votes"] = str(len(ballots))
    instance = em.Instance(engine_projects, process.budget_minor, meta)
    profile = em.Profile(
        em.BallotType(str(process.ballot_type)),
        tuple(ballots),
        tuple(points) if has_points else None,
        tuple(str(v + 1) for v in range(len(ballots))),
    )
    return epb.write(instance, profile)


def engine_scores(instance: em.Instance, profile: em.Profile) -> list[int]:
    from solidaria.budgeting.engine.greedy import scores

    return scores(instance, profile)


def engine_count(instance: em.Instance, profile: em.Profile, rule: str, utility: str) -> Any:
    """The engine's `rules.count`; MES with approval utilities (a process setting the
    engine's rule table does not name) goes to `method_of_equal_shares` directly."""
    from solidaria.budgeting.engine import completion as ec
    from solidaria.budgeting.engine import rules

    mes = {
        "mes": (ec.Completion.NONE, ec.Comparison.NONE),
        "equalshares/add1": (ec.Completion.ADD1, ec.Comparison.NONE),
        "equalshares/add1-comparison": (ec.Completion.ADD1, ec.Comparison.SATISFACTION),
        "mes/add1-pabutools": (ec.Completion.ADD1_PABUTOOLS, ec.Comparison.NONE),
    }
    if rule in mes and utility == ec.Utility.APPROVAL:
        completion, comparison = mes[rule]
        return ec.method_of_equal_shares(
            instance,
            profile,
            utility=ec.Utility.APPROVAL,
            completion=completion,
            comparison=comparison,
            rule=rule,
        )
    try:
        return rules.count(instance, profile, rule)
    except rules.UnknownRuleError as exc:
        raise ValidationFailed(
            _("The rule '%(rule)s' is not available.") % {"rule": rule}, field="rule"
        ) from exc


def engine_ballot_problem(
    process: Process, *, projects: list[str], points: list[int], costs: dict[str, int]
) -> str:
    """The engine's ballot check decides; its reason is shown translated when we know it."""
    from solidaria.budgeting.engine import ballots

    rules = ballots.BallotRules(
        em.BallotType(str(process.ballot_type)),
        min_length=process.min_length,
        max_length=process.max_length,
        max_sum_cost=process.max_sum_cost,
        max_points=process.max_points,
        min_sum_points=process.min_sum_points,
        max_sum_points=process.max_sum_points,
    )
    reason = ballots.validate_ballot(
        rules,
        costs,
        projects,
        points if process.ballot_type == BallotType.CUMULATIVE else None,
    )
    if reason is None:
        return ""
    return _translated_problem(process, projects=projects, points=points, costs=costs) or reason


def _translated_problem(
    process: Process, *, projects: list[str], points: list[int], costs: dict[str, int]
) -> str:
    """The engine's refusal in the member's language (same checks, same order)."""
    n = len(projects)
    if process.ballot_type == BallotType.CHOOSE_1 and n != 1:
        return _("Choose exactly one project.")
    if process.min_length is not None and n < process.min_length:
        return _("Choose at least %(n)s projects.") % {"n": process.min_length}
    if process.max_length is not None and n > process.max_length:
        return _("Choose at most %(n)s projects.") % {"n": process.max_length}
    if process.max_sum_cost is not None:
        total = sum(costs[c] for c in projects)
        if total > process.max_sum_cost:
            return _("The projects cost %(total)s together, more than the limit of %(limit)s.") % {
                "total": money(process, total),
                "limit": money(process, process.max_sum_cost),
            }
    if process.ballot_type == BallotType.CUMULATIVE:
        if any(p <= 0 for p in points):
            return _("Points must be positive whole numbers.")
        if process.max_points is not None and any(p > process.max_points for p in points):
            return _("At most %(n)s points per project.") % {"n": process.max_points}
        if process.max_sum_points is not None and sum(points) > process.max_sum_points:
            return _("At most %(n)s points in total.") % {"n": process.max_sum_points}
        if process.min_sum_points is not None and sum(points) < process.min_sum_points:
            return _("At least %(n)s points in total.") % {"n": process.min_sum_points}
    return ""
