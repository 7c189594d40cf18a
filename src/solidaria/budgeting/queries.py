"""Reads shared by pages, API and exports: who may see what, results as pages and files.

Calls into the pure engine (ballot validation, counting, Pabulib reading and writing)
live in `engine_io`.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from solidaria.budgeting.models import (
    Ballot,
    BallotType,
    Phase,
    Process,
    Project,
    ProjectStatus,
    Result,
)
from solidaria.core import visibility
from solidaria.core.errors import NotFound
from solidaria.core.money import format_minor
from solidaria.core.permissions import allowed, is_steward
from solidaria.core.textfiles import safe_writer

# ---------------------------------------------------------------- visibility


def can_view(user: Any, process: Process) -> bool:
    """Public processes are read by anyone, members-only ones by admitted members."""
    return allowed(user, "budgeting.process.view", process)


def visible_processes(user: Any) -> QuerySet[Process]:
    return visibility.readable(user, Process.objects.all())


def process_for(user: Any, slug: str) -> Process:
    """The process; NotFound if there is none, `MembersOnly` (a NotFound: the API says 404,
    a page asks to log in) for those who may not read it."""
    process = Process.objects.filter(slug=slug).first()
    if process is None:
        raise NotFound(_("No such process."))
    visibility.require_view(user, "budgeting.process.view", process)
    return process


def ballot_projects(process: Process) -> QuerySet[Project]:
    """Projects on the ballot: the feasible ones."""
    return process.projects.filter(status=ProjectStatus.FEASIBLE).order_by("id")


def published_result(process: Process) -> Result | None:
    return process.results.filter(published_at__isnull=False).first()


def result_for(user: Any, process: Process) -> Result | None:
    """Stewards see the latest count (draft or published); everyone else the published one."""
    if is_steward(user):
        return process.results.order_by("-published_at", "-counted_at", "-id").first()
    return published_result(process)


def money(process: Process, amount: int) -> str:
    return f"{format_minor(amount, exponent=process.currency_exponent)} {process.currency}"


def phase_steps(process: Process) -> list[dict[str, Any]]:
    """The phases in order with their dates and whether each is done, current or to come."""
    slots = {s.phase: s for s in process.schedule.all()}
    order = [p.value for p in Phase]
    current = order.index(process.phase)
    steps = []
    for i, kind in enumerate(Phase):
        slot = slots.get(kind.value)
        steps.append(
            {
                "phase": kind.value,
                "label": kind.label,
                "state": "done" if i < current else "current" if i == current else "todo",
                "starts_at": slot.starts_at if slot else None,
                "ends_at": slot.ends_at if slot else None,
            }
        )
    return steps


# ---------------------------------------------------------------- results for people


def _fraction_text(value: Any) -> str:
    """Engine fractions arrive as "p/q" strings; show them as a decimal with 2 places."""
    if value is None or value == "":
        return "?"
    frac = Fraction(str(value))
    cents = (frac * 100).numerator // (frac * 100).denominator
    return format_minor(cents, exponent=2)


def _money_fraction(process: Process, value: Any) -> str:
    """An exact amount in minor units (e.g. "1190476/7") in the currency, 2 decimals."""
    if value is None or value == "":
        return "?"
    major = Fraction(str(value)) / 10**process.currency_exponent
    return f"{_fraction_text(major)} {process.currency}"


def _rule_family(rule: str) -> str:
    from solidaria.budgeting.engine.rules import rule_family

    return rule_family(rule)


def explain(row: dict[str, Any], process: Process, titles: dict[str, str], rule: str = "") -> str:
    """One translated sentence: why this project was funded or not, from the engine's
    `ProjectDetail` (status, round, price or load, supporters' money, the project that beat
    it), worded for the rule that ran (`rule`: the result's engine rule; MES speaks of equal
    shares and prices, sequential Phragmén of loads, greedy of ranks by support)."""
    detail = row.get("detail", {})
    status = detail.get("status", "")
    cost = money(process, int(row["cost"]))
    beaten_by = detail.get("beaten_by")
    beaten_title = titles.get(beaten_by, beaten_by) if beaten_by else ""
    family = _rule_family(rule) if rule else ("mes" if row.get("price_each") else "")
    reason = str(detail.get("reason", ""))
    if row.get("status") == ProjectStatus.WITHDRAWN or status == "withdrawn":
        return _("Withdrawn: it stayed visible but could not win.")
    if reason.startswith("greedy outcome preferred"):
        if status == "funded":
            return _(
                "Funded: more voters preferred the greedy outcome, which includes it, to the "
                "Method of Equal Shares outcome."
            )
        return _(
            "Not funded: more voters preferred the greedy outcome, which leaves it out, to the "
            "Method of Equal Shares outcome."
        )
    if status == "funded" and int(row["cost"]) == 0:
        return _("Funded: it costs nothing.")
    if family == "phragmen":
        return _explain_phragmen(row, detail, process)
    if status == "funded":
        if family == "mes" and row.get("price_each") is not None:
            return _(
                "Funded in round %(round)s: each supporter paid at most %(price)s, within "
                "their equal share."
            ) % {
                "round": detail.get("round", "?"),
                "price": _money_fraction(process, row["price_each"]),
            }
        if family == "mes" and detail.get("price") is not None:
            return _(
                "Funded in round %(round)s: each supporter paid at most %(price)s per point, "
                "within their equal share."
            ) % {
                "round": detail.get("round", "?"),
                "price": _money_fraction(process, detail["price"]),
            }
        if family == "mes":
            return _("Funded by the Method of Equal Shares.")
        return _("Funded: ranked %(rank)s by support and its cost fit in what was left.") % {
            "rank": detail.get("round", "?")
        }
    if status == "unaffordable":
        parts = [_("Not funded: its supporters could not pay for it with their equal shares.")]
        if detail.get("supporters_money") is not None:
            parts.append(
                _("When it dropped out they had %(money)s left in total; it costs %(cost)s.")
                % {"money": _money_fraction(process, detail["supporters_money"]), "cost": cost}
            )
        if row.get("price_each") is not None:
            parts.append(
                _("Before that it needed %(price)s from each supporter.")
                % {"price": _money_fraction(process, row["price_each"])}
            )
        if beaten_by:
            parts.append(
                _("It was last affordable in the round won by '%(other)s'.")
                % {"other": beaten_title}
            )
        return " ".join(parts)
    if status == "skipped":
        return _("Not funded: when its turn came (rank %(rank)s) it no longer fit the budget.") % {
            "rank": detail.get("round", "?")
        }
    if status == "below_threshold":
        return _("Not funded: its support (%(score)s) was below the threshold.") % {
            "score": detail.get("score", "?")
        }
    if status == "not_reached":
        return _("Not funded: counting stopped at an earlier project that did not fit.")
    if status == "excluded":
        return _("Not funded: it excludes '%(other)s', which was funded first.") % {
            "other": beaten_title
        }
    return _explain_common(status, row)


def _explain_common(status: str, row: dict[str, Any]) -> str:
    if status == "no_support":
        return _("Not funded: nobody supported it.")
    if status == "over_budget":
        return _("Not funded: it costs more than the whole budget.")
    if row.get("selected"):
        return _("Funded.")
    return _("Not funded.")


def _explain_phragmen(row: dict[str, Any], detail: dict[str, Any], process: Process) -> str:
    """Sequential Phragmén: supporters earn money at the same pace and a project is bought
    when its supporters together hold its cost; the load is what each then spent in total.
    (Results counted before loads were named carry the load as `price`.)"""
    status = detail.get("status", "")
    load = detail.get("load", detail.get("price"))
    if status == "funded":
        return _(
            "Funded in round %(round)s: its supporters shared its cost so that each of them "
            "had then spent %(load)s in total on the funded projects they support, the lowest "
            "such load of any project."
        ) % {"round": detail.get("round", "?"), "load": _money_fraction(process, load)}
    if status == "skipped":
        return _(
            "Not funded: it came next in round %(round)s but no longer fit the budget, and "
            "sequential Phragmén stops there."
        ) % {"round": detail.get("round", "?")}
    if status == "not_reached":
        return _("Not funded: sequential Phragmén stopped before its supporters could buy it.")
    return _explain_common(status, row)


def result_rows(result: Result) -> list[dict[str, Any]]:
    process = result.process
    titles = {str(r["code"]): str(r["title"]) for r in result.projects}
    return [
        {
            **row,
            "cost_text": money(process, int(row["cost"])),
            "explanation": explain(row, process, titles, result.engine_rule),
            "engine_reason": row.get("detail", {}).get("reason", ""),
        }
        for row in result.projects
    ]


@dataclass(frozen=True)
class ChartPoint:
    x: int
    y: int
    code: str
    title: str
    label: str
    is_selected: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    points: list[ChartPoint]
    x_ticks: list[tuple[int, str]]
    y_ticks: list[tuple[int, str]]


def support_cost_chart(result: Result, *, width: int = 640, height: int = 360) -> Chart:
    """Scatter of support (y) against cost (x), in integer pixel coordinates."""
    left, right, top, bottom = 70, 20, 20, 40
    rows = [r for r in result.projects if r.get("status") != ProjectStatus.WITHDRAWN]
    max_cost = max([int(r["cost"]) for r in rows] + [1])
    max_support = max([int(r.get("support", 0)) for r in rows] + [1])
    plot_w, plot_h = width - left - right, height - top - bottom
    process = result.process
    points = [
        ChartPoint(
            x=left + int(r["cost"]) * plot_w // max_cost,
            y=top + plot_h - int(r.get("support", 0)) * plot_h // max_support,
            code=str(r["code"]),
            title=str(r["title"]),
            label=_("%(title)s: cost %(cost)s, support %(support)s, %(state)s")
            % {
                "title": r["title"],
                "cost": money(process, int(r["cost"])),
                "support": r.get("support", 0),
                "state": _("funded") if r.get("selected") else _("not funded"),
            },
            is_selected=bool(r.get("selected")),
        )
        for r in rows
    ]
    x_ticks = [
        (
            left + i * plot_w // 4,
            format_minor(max_cost * i // 4, exponent=process.currency_exponent),
        )
        for i in range(5)
    ]
    y_ticks = [(top + plot_h - i * plot_h // 4, str(max_support * i // 4)) for i in range(5)]
    return Chart(width, height, left, height - bottom, points, x_ticks, y_ticks)


# ---------------------------------------------------------------- exports


def results_csv(result: Result) -> str:
    out = io.StringIO()
    writer = safe_writer(out, lineterminator="\n")
    writer.writerow(["project_id", "title", "cost", "support", "status", "selected"])
    for row in result.projects:
        writer.writerow(
            [
                row["code"],
                row["title"],
                row["cost"],
                row.get("support", 0),
                row.get("status", ""),
                1 if row.get("selected") else 0,
            ]
        )
    return out.getvalue()


def anonymised_ballots(process: Process) -> list[tuple[list[str], list[int]]]:
    """The ballots' contents, with no ids, in a deterministic order that says nothing about
    when they were cast: sorted by a hash of their contents."""
    rows = [
        (list(p), list(pts))
        for p, pts in Ballot.objects.filter(process=process).values_list("projects", "points")
    ]

    def key(row: tuple[list[str], list[int]]) -> tuple[str, str]:
        text = json.dumps(row, separators=(",", ":"))
        return hashlib.sha256(f"{process.slug}|{text}".encode()).hexdigest(), text

    return sorted(rows, key=key)


def ballots_csv(process: Process) -> str:
    out = io.StringIO()
    writer = safe_writer(out, lineterminator="\n")
    writer.writerow(["vote", "points"])
    for projects, points in anonymised_ballots(process):
        writer.writerow([",".join(projects), ",".join(str(p) for p in points)])
    return out.getvalue()


def codes_csv(codes: list[str]) -> str:
    out = io.StringIO()
    writer = safe_writer(out, lineterminator="\n")
    writer.writerow(["voting_code"])
    for code in codes:
        writer.writerow([code])
    return out.getvalue()


def result_json(result: Result) -> dict[str, Any]:
    return {
        "id": result.pk,
        "process": result.process.slug,
        "rule": result.rule,
        "engine_rule": result.engine_rule,
        "parameters": result.parameters,
        "rule_version": result.rule_version,
        "engine_version": result.engine_version,
        "budget": result.budget_minor,
        "selected": result.selected,
        "cost": result.total_cost_minor,
        "num_ballots": result.num_ballots,
        "counted_at": result.counted_at.isoformat(),
        "published_at": result.published_at.isoformat() if result.published_at else None,
        "projects": [
            {
                "project_id": r["code"],
                "title": r["title"],
                "cost": r["cost"],
                "support": r.get("support", 0),
                "status": r.get("status", ""),
                "selected": bool(r.get("selected")),
                "detail": r.get("detail", {}),
            }
            for r in result.projects
        ],
    }


def project_or_404(process: Process, project_id: int) -> Project:
    project = Project.objects.filter(process=process, pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."))
    return project


def ballot_rules_text(process: Process) -> list[str]:
    """The ballot's rules in words, for the voting page."""
    lines = []
    if process.ballot_type == BallotType.CHOOSE_1:
        lines.append(_("Choose one project."))
    if process.min_length:
        lines.append(_("Choose at least %(n)s projects.") % {"n": process.min_length})
    if process.max_length:
        lines.append(_("Choose at most %(n)s projects.") % {"n": process.max_length})
    if process.max_sum_cost:
        lines.append(
            _("The projects you choose may cost at most %(cost)s together.")
            % {"cost": money(process, process.max_sum_cost)}
        )
    if process.max_points:
        lines.append(_("At most %(n)s points per project.") % {"n": process.max_points})
    if process.min_sum_points:
        lines.append(_("Give at least %(n)s points in total.") % {"n": process.min_sum_points})
    if process.max_sum_points:
        lines.append(_("Give at most %(n)s points in total.") % {"n": process.max_sum_points})
    if process.ballot_type == BallotType.ORDINAL:
        lines.append(_("Number the projects you rank: 1 for your favourite, then 2, 3 …"))
    return lines


def ballot_by_secret(
    process: Process, secret: str, voter: str | None
) -> tuple[list[str], list[int]] | None:
    """The voter's own current ballot, found with the secret only they hold, from their
    own session or code (`services.voter_identity`)."""
    from solidaria.budgeting.services import ballot_tag

    if not secret or not voter:
        return None
    row = (
        Ballot.objects.filter(process=process, change_tag=ballot_tag(process.pk, secret, voter))
        .values_list("projects", "points")
        .first()
    )
    return (list(row[0]), list(row[1])) if row else None
