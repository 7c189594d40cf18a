"""Read and write Pabulib ``.pb`` files (https://pabulib.org/format).

Three sections, each a semicolon CSV introduced by a line holding only its name:
META (key;value), PROJECTS (project_id;cost;...), VOTES (voter_id;vote;...).
Errors raise :class:`PabulibError` naming the section and the 1-based line.

Budget and costs may have decimals (``budget;1925834.77``, as recent Polish city files do):
they are read exactly, scaled to integers by the largest number of decimals used in the
budget and cost fields (``Instance.decimals``), and written back in the file's own units.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from itertools import count
from operator import methodcaller
from pathlib import Path
from types import MappingProxyType
from typing import Any

from solidaria.core.textfiles import FIELD_LIMIT, long_cell, too_long

from .model import WITHDRAWN_COST, BallotType, Instance, Profile, Project

SECTIONS = ("meta", "projects", "votes")
MAX_NUMBER_LENGTH = 40
"""Longest number (characters) a file may hold: far beyond any budget, far below the
4,300 digits at which Python refuses to read an integer."""
_PROJECT_KNOWN = {"project_id", "cost", "name", "category", "target", "beneficiaries", "selected"}
_VOTE_KNOWN = {"voter_id", "vote", "points"}


class PabulibError(ValueError):
    """A malformed Pabulib file: ``section`` and ``line`` say where."""

    def __init__(self, message: str, *, section: str, line: int) -> None:
        super().__init__(f"{section.upper()} section, line {line}: {message}")
        self.section = section
        self.line = line
        self.reason = message


def _too_long(raw: str, *, what: str, section: str, line: int) -> None:
    if len(raw) > MAX_NUMBER_LENGTH:
        raise PabulibError(
            f"{what} {raw[:20]!r}... is too long for a number ({len(raw):,} characters)",
            section=section,
            line=line,
        )


def _whole_number(raw: str, *, what: str, section: str, line: int) -> int:
    text = raw.strip()
    _too_long(text, what=what, section=section, line=line)
    if text.isdigit():
        return int(text)
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise PabulibError(f"{what} {raw!r} is not a number", section=section, line=line) from None
    if value != value.to_integral_value() or value < 0:
        raise PabulibError(
            f"{what} {raw!r} is not a whole non-negative number", section=section, line=line
        )
    return int(value)


def _amount(raw: str, *, what: str, section: str, line: int) -> Decimal:
    """A non-negative decimal number, exactly (``1925834.77``; a comma works as the point)."""
    text = raw.strip()
    _too_long(text, what=what, section=section, line=line)
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise PabulibError(f"{what} {raw!r} is not a number", section=section, line=line) from None
    if not value.is_finite() or value < 0:
        raise PabulibError(
            f"{what} {raw!r} is not a non-negative number", section=section, line=line
        )
    return value


def _places(value: Decimal) -> int:
    """Decimals the value needs (``100000.0`` needs none, ``1925834.70`` one)."""
    if value == value.to_integral_value():
        return 0
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return max(0, -exponent)


def _scaled(value: Decimal, decimals: int) -> int:
    return int(value.scaleb(decimals))


def _split_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _ballot(raw: str, index: dict[str, int], line: int) -> tuple[int, ...]:
    try:
        ballot = tuple([index[p] for p in _split_list(raw)])
    except KeyError as exc:
        raise PabulibError(
            f"vote for unknown project {exc.args[0]!r}", section="votes", line=line
        ) from None
    if len(set(ballot)) != len(ballot):
        raise PabulibError("project listed twice in a vote", section="votes", line=line)
    return ballot


def _vote_rows(source: io.StringIO, reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line, row) for the rest of the file. Without any quote in it (big files), plain
    splitting reads exactly what the csv module would, at twice its speed."""
    first = reader.line_num + 1
    start = source.tell()
    rest = source.read().replace("\r\n", "\n")
    if '"' in rest or "\r" in rest or "\0" in rest:
        source.seek(start)
        return ((reader.line_num, row) for row in reader)
    return zip(count(first), map(methodcaller("split", ";"), rest.split("\n")), strict=False)


def _read_votes(
    rows: Iterator[tuple[int, list[str]]],
    header: list[str],
    index: dict[str, int],
    voter_ids: list[str],
    ballots: list[tuple[int, ...]],
    points: list[tuple[int, ...]],
    fields: dict[str, list[str]],
    keep_voters: bool,
) -> None:
    """The rows of VOTES, to the end of the file (the hot loop of big files: each distinct
    vote and points string is read once)."""
    width = len(header)
    cols = {h: i for i, h in enumerate(header)}
    vote_col, points_col = cols["vote"], cols.get("points", -1)
    extra = [(i, fields[h]) for i, h in enumerate(header) if h in fields]
    seen_votes: dict[str, tuple[int, ...]] = {}
    seen_points: dict[str, tuple[int, ...]] = {}
    ids: list[str] = []
    id_lines: list[int] = []
    for line, row in rows:
        if len(row) != width:  # width >= 2: blank lines and section names land here
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) == 1 and row[0].strip().lower() in SECTIONS:
                name = row[0].strip().lower()
                raise PabulibError("section appears twice", section=name, line=line)
            raise PabulibError(
                f"expected {width} columns ({';'.join(header)}), found {len(row)}",
                section="votes",
                line=line,
            )
        ids.append(row[0])
        id_lines.append(line)
        if keep_voters:
            voter_ids.append(row[0].strip())
            for i, values in extra:
                values.append(row[i])
        raw_vote = row[vote_col]
        ballot = seen_votes.get(raw_vote)
        if ballot is None:
            ballot = seen_votes[raw_vote] = _ballot(raw_vote, index, line)
        ballots.append(ballot)
        if points_col >= 0:
            raw_points = row[points_col]
            pts = seen_points.get(raw_points)
            if pts is None:
                pts = seen_points[raw_points] = tuple(
                    _whole_number(x, what="points", section="votes", line=line)
                    for x in _split_list(raw_points)
                )
            if len(pts) != len(ballot):
                raise PabulibError(
                    f"{len(ballot)} projects but {len(pts)} points",
                    section="votes",
                    line=line,
                )
            points.append(pts)
    if len(set(ids)) != len(ids):
        _duplicate_voter(ids, id_lines)


def _duplicate_voter(ids: list[str], lines: list[int]) -> None:
    """Name the first voter id given twice, with its line."""
    seen: dict[str, int] = {}
    for voter, line in zip(ids, lines, strict=True):
        if voter in seen:
            raise PabulibError(
                f"voter_id {voter[:40]!r} appears twice (first on line {seen[voter]})",
                section="votes",
                line=line,
            )
        seen[voter] = line


def parse(text: str, *, voters: bool = True) -> tuple[Instance, Profile]:
    """Parse the text of a ``.pb`` file into an :class:`Instance` and a :class:`Profile`.
    ``voters=False`` leaves out voter ids and the other VOTES columns (age, sex, ...): enough
    to count, and faster on big files."""
    if text.startswith("\ufeff"):
        text = text[1:]
    source = io.StringIO(text, newline="")
    reader = csv.reader(source, delimiter=";")
    try:
        return _parse(source, reader, voters)
    except csv.Error as exc:
        line = reader.line_num
        section = _section_at(text, line)
        if too_long(exc):
            header = _header_before(text, line)
            field = long_cell(text, line, header, delimiter=";") or "a field"
            raise PabulibError(
                f"{field} is longer than {FIELD_LIMIT:,} characters", section=section, line=line
            ) from None
        raise PabulibError(f"malformed line: {exc}", section=section, line=line) from None


def _section_at(text: str, line: int) -> str:
    """The section the 1-based `line` is in (for errors only)."""
    section = "meta"
    for number, raw in enumerate(text.splitlines()[:line], start=1):
        if raw.strip().lower() in SECTIONS and number < line:
            section = raw.strip().lower()
    return section


def _header_before(text: str, line: int) -> list[str]:
    """The column names of the section `line` is in (for errors only)."""
    lines = text.splitlines()[: line - 1]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip().lower() in SECTIONS:
            return lines[i + 1].split(";") if i + 1 < len(lines) else []
    return []


def _parse(source: io.StringIO, reader: Any, voters: bool) -> tuple[Instance, Profile]:
    section = ""
    header: list[str] | None = None
    header_line = 0
    seen: list[str] = []
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    costs: list[Decimal] = []
    projects: list[Project] = []
    index: dict[str, int] = {}
    voter_ids: list[str] = []
    ballots: list[tuple[int, ...]] = []
    points: list[tuple[int, ...]] = []
    vote_fields: dict[str, list[str]] = {}
    project_cols: dict[str, int] = {}
    points_col = -1
    last_line = 0
    for row in reader:
        line = reader.line_num
        last_line = line
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) == 1 and row[0].strip().lower() in SECTIONS:
            name = row[0].strip().lower()
            if name in seen:
                raise PabulibError("section appears twice", section=name, line=line)
            expected = SECTIONS[len(seen)]
            if name != expected:
                raise PabulibError(
                    f"expected section {expected.upper()} before {name.upper()}",
                    section=expected,
                    line=line,
                )
            seen.append(name)
            section, header, header_line = name, None, line
            continue
        if not section:
            raise PabulibError("file must start with META", section="meta", line=line)
        if header is None:
            header = [h.strip() for h in row]
            header_line = line
            if section == "projects":
                project_cols = {h: i for i, h in enumerate(header)}
                for need in ("project_id", "cost"):
                    if need not in project_cols:
                        raise PabulibError(f"missing column {need!r}", section=section, line=line)
            elif section == "votes":
                cols = {h: i for i, h in enumerate(header)}
                for need in ("voter_id", "vote"):
                    if need not in cols:
                        raise PabulibError(f"missing column {need!r}", section=section, line=line)
                points_col = cols.get("points", -1)
                vote_fields = {h: [] for h in header if h not in _VOTE_KNOWN}
                if not meta.get("budget"):
                    raise PabulibError("META has no budget", section="meta", line=header_line)
                rows = _vote_rows(source, reader)
                _read_votes(rows, header, index, voter_ids, ballots, points, vote_fields, voters)
                break
            continue
        if len(row) != len(header):
            raise PabulibError(
                f"expected {len(header)} columns ({';'.join(header)}), found {len(row)}",
                section=section,
                line=line,
            )
        if section == "meta":
            meta[row[0].strip()] = row[1].strip()
            meta_lines[row[0].strip()] = line
        elif section == "projects":
            raw_cost = row[project_cols["cost"]]
            costs.append(_amount(raw_cost, what="cost", section=section, line=line))
            projects.append(_project(row, project_cols, header, line))
            pid = projects[-1].id
            if pid in index:
                raise PabulibError(f"duplicate project id {pid!r}", section=section, line=line)
            index[pid] = len(projects) - 1
    for name in SECTIONS:
        if name not in seen:
            raise PabulibError(
                "section is missing (expected before the end of the file)",
                section=name,
                line=last_line + 1,
            )
    budget_value = _amount(meta["budget"], what="budget", section="meta", line=meta_lines["budget"])
    if not budget_value:
        raise PabulibError(
            "budget is 0: nothing could be funded", section="meta", line=meta_lines["budget"]
        )
    declared = meta.get("num_votes", "").strip()
    if not ballots and declared not in ("", "0"):
        raise PabulibError(
            f"the section has no votes but META num_votes is {declared[:20]}",
            section="votes",
            line=last_line + 1,
        )
    decimals = max([_places(budget_value), *(_places(c) for c in costs)])
    budget = _scaled(budget_value, decimals)
    projects = [
        replace(p, cost=WITHDRAWN_COST if c == WITHDRAWN_COST else _scaled(c, decimals))
        for p, c in zip(projects, costs, strict=True)
    ]
    try:
        ballot_type = BallotType(meta.get("vote_type", "approval").strip().lower())
    except ValueError:
        raise PabulibError(
            f"unknown vote_type {meta.get('vote_type', '')[:40]!r}",
            section="meta",
            line=meta_lines.get("vote_type", 1),
        ) from None
    has_points = ballot_type in (BallotType.CUMULATIVE, BallotType.SCORING)
    if has_points and points_col < 0:
        raise PabulibError(
            f"{ballot_type.value} ballots need a points column", section="votes", line=header_line
        )
    instance = Instance(tuple(projects), budget, MappingProxyType(meta), decimals)
    profile = Profile(
        ballot_type,
        tuple(ballots),
        tuple(points) if has_points else None,
        tuple(voter_ids),
        MappingProxyType({h: tuple(v) for h, v in vote_fields.items()}),
    )
    return instance, profile


def _project(row: list[str], cols: dict[str, int], header: list[str], line: int) -> Project:
    def col(name: str) -> str:
        i = cols.get(name)
        return row[i].strip() if i is not None else ""

    selected_raw = col("selected")
    beneficiaries = col("beneficiaries") or col("target")
    extra = {h: row[i] for i, h in enumerate(header) if h not in _PROJECT_KNOWN}
    if "target" in cols and "beneficiaries" not in cols:
        extra["__beneficiaries_column"] = "target"
    return Project(
        id=col("project_id"),
        cost=0,  # set once every cost is read (the scale depends on all of them)
        name=col("name"),
        categories=_split_list(col("category")),
        beneficiaries=_split_list(beneficiaries),
        selected=int(selected_raw) if selected_raw else None,
        extra=MappingProxyType(extra),
    )


def read(path: str | Path, *, voters: bool = True) -> tuple[Instance, Profile]:
    """Read a ``.pb`` file (UTF-8, any line ending); ``voters`` as for :func:`parse`."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return parse(fh.read(), voters=voters)


def _project_header(instance: Instance) -> list[str]:
    header = ["project_id", "cost"]
    extras: list[str] = []
    for p in instance.projects:
        for k in p.extra:
            if k not in extras and not k.startswith("__"):
                extras.append(k)
    if any(p.name for p in instance.projects):
        header.append("name")
    if any(p.categories for p in instance.projects):
        header.append("category")
    if any(p.beneficiaries for p in instance.projects):
        uses_target = any(p.extra.get("__beneficiaries_column") for p in instance.projects)
        header.append("target" if uses_target else "beneficiaries")
    if any(p.selected is not None for p in instance.projects):
        header.append("selected")
    return header + extras


def write(
    instance: Instance, profile: Profile, out: io.TextIOBase | io.StringIO | None = None
) -> str:
    """Serialise to Pabulib text (``\\n`` line ends, minimal quoting). Returns the text."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    meta = dict(instance.meta)
    meta["budget"] = instance.amount_text(instance.budget)
    meta["vote_type"] = profile.ballot_type.value
    meta["num_projects"] = str(len(instance.projects))
    meta["num_votes"] = str(profile.num_voters)
    w.writerow(["META"])
    w.writerow(["key", "value"])
    for k, v in meta.items():
        w.writerow([k, v])
    w.writerow(["PROJECTS"])
    header = _project_header(instance)
    w.writerow(header)
    for p in instance.projects:
        w.writerow([_project_value(instance, p, h) for h in header])
    w.writerow(["VOTES"])
    vheader = ["voter_id", "vote"]
    if profile.points is not None:
        vheader.append("points")
    vheader += list(profile.voter_fields)
    w.writerow(vheader)
    ids = instance.projects
    for voter, ballot in enumerate(profile.ballots):
        vid = profile.voter_ids[voter] if profile.voter_ids else str(voter + 1)
        row = [vid, ",".join(ids[i].id for i in ballot)]
        if profile.points is not None:
            row.append(",".join(str(x) for x in profile.points[voter]))
        row += [profile.voter_fields[h][voter] for h in profile.voter_fields]
        w.writerow(row)
    text = buf.getvalue()
    if out is not None:
        out.write(text)
    return text


def _project_value(instance: Instance, p: Project, column: str) -> str:
    if column == "project_id":
        return p.id
    if column == "cost":
        return str(p.cost) if p.is_withdrawn else instance.amount_text(p.cost)
    if column == "name":
        return p.name
    if column == "category":
        return ",".join(p.categories)
    if column in ("beneficiaries", "target"):
        return ",".join(p.beneficiaries)
    if column == "selected":
        return "" if p.selected is None else str(p.selected)
    return p.extra.get(column, "")


def official_selected(instance: Instance) -> tuple[str, ...] | None:
    """Ids marked ``selected`` = 1 in the file, or ``None`` if the file has no such column."""
    if all(p.selected is None for p in instance.projects):
        return None
    return tuple(p.id for p in instance.projects if p.selected == 1)
