"""One import run: read a file, clean and validate each row, deduplicate against the
directory, write in batches.

Deduplication, in this order (the first match wins):
1. same source and source id  -> the row updates its organisation (or changes nothing
   when the row is identical to the last import: re-importing a file is a no-op);
2. same web domain            -> merged: the provenance is added, empty fields filled;
3. same normalised name within 100 m -> merged the same way.
A source id repeated within one file is rejected (which copy is right is unknowable).

All or nothing by default: the first rejected row, or a file that cannot be read at all,
raises ImportRefused (a ValidationFailed naming the line or JSON path, the field and the
reason) and nothing is written. With `skip_bad_rows` the good rows are imported and the
bad ones listed in the report. A file from which no row could be imported is refused
either way.

Writes go in batches with bulk_create/bulk_update, all inside one transaction; a batch
holds whole rows only (organisation + provenance), so no row is ever half-written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from solidaria.core.errors import ValidationFailed
from solidaria.core.textfiles import FIELD_LIMIT
from solidaria.directory.bulk import fast_insert, fast_update, insert_values
from solidaria.directory.importers import FORMATS, cleaning
from solidaria.directory.importers.base import FileRefused, Record, Rejected
from solidaria.directory.importers.cleaning import (
    distance_m,
    has_lost_characters,
    is_junk_name,
    normalise_country,
    parse_coordinate,
    repair_from_evidence,
    repair_text,
    split_websites,
)
from solidaria.directory.models import DESCRIPTIVE_FIELDS, Organisation, Provenance
from solidaria.directory.taxonomy import FIELD_SCHEMES, MULTI_VALUED, known_codes

# Pure functions called several times per row (index, dedupe, write): computed once.
name_key = lru_cache(maxsize=65536)(cleaning.name_key)
dedupe_domain = lru_cache(maxsize=65536)(cleaning.dedupe_domain)

BATCH_SIZE = 5000
MERGE_DISTANCE_M = 100.0
GRID_DEG = 0.01  # ~1.1 km of latitude: a 3x3 neighbourhood always covers 100 m

TEXT_FIELDS = ["name", "description", "email", "phone", "street_address", "locality", "region"]
CHECK_LOST = ["name", "street_address", "locality", "region"]
IMPORTED_FIELDS = [
    *DESCRIPTIVE_FIELDS,
    "other_websites",
    "legal_form_text",
    "tags",
    "licence",
    "data_issues",
]
UPDATE_FIELDS = [*IMPORTED_FIELDS, "name_key", "web_domain", "updated_at"]


@dataclass
class ImportReport:
    source: str
    read: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "rejected_rows": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }

    def summary(self) -> str:
        return (
            f"{self.source}: read {self.read}, created {self.created}, updated {self.updated}, "
            f"merged {self.merged}, unchanged {self.unchanged}, rejected {len(self.rejected)}"
        )

    def dominant_rejection(self) -> tuple[str, list[str], int] | None:
        """(cause, the reasons it covers, rows) when one cause rejected more than half of
        the rows read; else None. Reasons are compared without the row's own values, and
        every unknown ESSGlobal code counts as one cause (the taxonomies are missing)."""
        kinds = Counter(reason_kind(r.reason) for r in self.rejected)
        causes: Counter[str] = Counter()
        for kind, count in kinds.items():
            causes[rejection_cause(kind)] += count
        if not causes:
            return None
        cause, count = causes.most_common(1)[0]
        if 2 * count <= self.read:
            return None
        return cause, [k for k, _ in kinds.most_common() if rejection_cause(k) == cause], count

    def rejection_lines(self, limit: int = 50) -> list[str]:
        """What a person reads about the rejected rows: one line with the fix when one
        cause rejected most rows, else each row with its line (at most `limit` of them)."""
        lines: list[str] = []
        rows = self.rejected
        dominant = self.dominant_rejection()
        if dominant is not None:
            cause, kinds, count = dominant
            hint = REJECTION_HINTS.get(cause, "")
            lines.append(
                _("%(count)s of %(read)s rows were rejected: %(reason)s.%(hint)s")
                % {
                    "count": f"{count:,}",
                    "read": f"{self.read:,}",
                    "reason": " / ".join(kinds),
                    "hint": f" {hint}" if hint else "",
                }
            )
            rows = [r for r in rows if rejection_cause(reason_kind(r.reason)) != cause]
        lines += [f"  line {r.line}: {r.reason}" for r in rows[:limit]]
        if len(rows) > limit:
            lines.append(
                _("%(more)s more rejected rows are not shown; --json lists every one.")
                % {"more": f"{len(rows) - limit:,}"}
            )
        return lines


def reason_kind(reason: str) -> str:
    """A rejection reason without the row's own values, so that rows can be grouped:
    "unknown ica_activity code 'X9' (ESSGlobal activities-ica)" -> "unknown ica_activity code"."""
    return re.sub(r"\s*'[^']*'|\s*\([^)]*\)", "", reason).strip()


UNKNOWN_CODE = "unknown ESSGlobal code"


def rejection_cause(kind: str) -> str:
    """Reasons with one cause and one fix: every unknown ESSGlobal code; else the reason."""
    return UNKNOWN_CODE if re.fullmatch(r"unknown \w+ code", kind) else kind


REJECTION_HINTS: dict[str, Any] = {
    UNKNOWN_CODE: gettext_lazy(
        "The ESSGlobal codes are missing: run `solidaria load_taxonomies` and import again."
    )
}


class RowRejected(Exception):
    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.field = field


MAX_REASON = 300  # characters of a reason shown (a reason may quote a huge cell)


class ImportRefused(ValidationFailed):
    """The file is not imported (nothing was written): `where` is "line N" or a JSON
    path, `field` the field at fault ("" when none is), `reason` why."""

    def __init__(
        self, where: str, field: str, reason: str, report: ImportReport | None = None
    ) -> None:
        self.report = report  # when rows were rejected: the report that lists them
        if len(reason) > MAX_REASON:
            reason = reason[:MAX_REASON] + "..."
        text = f"{where}: " + (f"{field}: " if field else "") + reason
        super().__init__(text, field="file")
        self.where = where
        self.field_name = field
        self.reason = reason

    @classmethod
    def for_row(cls, row: Rejected) -> ImportRefused:
        return cls(row.location, row.field, row.reason)


def _max_length(name: str) -> int | None:
    return getattr(Organisation._meta.get_field(name), "max_length", None)


MAX_LENGTHS = {f: _max_length(f) for f in IMPORTED_FIELDS}


def clean(record: Record, fmt: ModuleType, codes: dict[str, set[str]]) -> dict[str, Any]:
    """The organisation's field values for a record, or RowRejected with the reason."""
    values: dict[str, Any] = {}
    issues: list[str] = []
    for name in [*TEXT_FIELDS, "website", "postcode", "country_raw"]:
        if len(getattr(record, name)) > FIELD_LIMIT:  # as the csv module refuses them
            raise RowRejected(f"longer than {FIELD_LIMIT:,} characters", name)
    for name in TEXT_FIELDS:
        text = repair_text(getattr(record, name))
        lost = has_lost_characters(text) and not (name == "name" and is_junk_name(text))
        if name in CHECK_LOST and lost:
            fixed = repair_from_evidence(text, repair_text(record.evidence.get(name, "")))
            if fixed:
                text = fixed
            else:
                issues.append(f"characters lost in {name}")
        values[name] = text
    if not values["name"]:
        raise RowRejected("missing name", "name")
    if is_junk_name(values["name"]):
        # kept for a steward to fix: the entry is imported as proposed (see _status)
        issues.append(f"the name '{values['name']}' is a spreadsheet error or no name")
    values["postcode"] = repair_text(record.postcode)
    websites = split_websites(record.website)
    values["website"] = websites[0] if websites else ""
    values["other_websites"] = websites[1:]
    country = normalise_country(record.country_raw, fmt.COUNTRY_ALIASES)
    if record.country_raw.strip() and not country:
        issues.append(f"unrecognised country '{record.country_raw.strip()}'")
    values["country"] = country
    try:
        lat = parse_coordinate(record.latitude)
        lon = parse_coordinate(record.longitude)
    except (TypeError, ValueError):
        raise RowRejected(
            f"coordinates are not numbers: latitude '{str(record.latitude)[:40]}', "
            f"longitude '{str(record.longitude)[:40]}'",
            "latitude",
        ) from None
    if (lat is None) != (lon is None):
        raise RowRejected("latitude and longitude must be given together", "latitude")
    if lat is not None and not -90 <= lat <= 90:
        raise RowRejected(f"latitude {lat} out of range [-90, 90]", "latitude")
    if lon is not None and not -180 <= lon <= 180:
        raise RowRejected(f"longitude {lon} out of range [-180, 180]", "longitude")
    values["latitude"], values["longitude"] = lat, lon
    for field_name, scheme in FIELD_SCHEMES.items():
        raw = getattr(record, field_name)
        found = [c for c in (raw if field_name in MULTI_VALUED else [raw]) if c]
        for code in found:
            if code not in codes.get(scheme, set()):
                raise RowRejected(
                    f"unknown {field_name} code '{code[:40]}' (ESSGlobal {scheme})", field_name
                )
        values[field_name] = found if field_name in MULTI_VALUED else (found[0] if found else "")
    values["legal_form_text"] = record.legal_form_text.strip()
    values["tags"] = [t.strip()[:100] for t in record.tags if t.strip()]
    values["licence"] = fmt.LICENCE
    for name, limit in MAX_LENGTHS.items():
        if limit and isinstance(values.get(name), str) and len(values[name]) > limit:
            values[name] = values[name][:limit]
            issues.append(f"{name} shortened to {limit} characters")
    values["data_issues"] = issues
    return values


def fingerprint(values: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / GRID_DEG), math.floor(lon / GRID_DEG)


def _fill_empty(target: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """Fill the target's empty fields from a merged record; True if anything changed."""
    changed = False
    for name in IMPORTED_FIELDS:
        if name in ("licence", "data_issues"):
            continue
        if name in ("latitude", "longitude"):
            if target.get("latitude") is None and incoming.get("latitude") is not None:
                target["latitude"], target["longitude"] = (
                    incoming["latitude"],
                    incoming["longitude"],
                )
                changed = True
            continue
        if not target.get(name) and incoming.get(name):
            target[name] = incoming[name]
            changed = True
    issues = list(dict.fromkeys([*target.get("data_issues", []), *incoming["data_issues"]]))
    if issues != target.get("data_issues", []):
        target["data_issues"] = issues
        changed = True
    return changed


@dataclass
class Target:
    """An organisation the run may write to: existing (id set) or new in this run."""

    org_id: int | None
    values: dict[str, Any] | None = None  # loaded lazily for existing organisations
    dirty: bool = False
    overwrite: dict[str, Any] | None = None
    fills: list[dict[str, Any]] = field(default_factory=list)


class Importer:
    def __init__(
        self, *, source: str, fmt: ModuleType, status: str, actor: Any, strict: bool = False
    ) -> None:
        self.source, self.fmt, self.status, self.actor = source, fmt, status, actor
        self.strict = strict
        self.report = ImportReport(source=source)
        self.actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.codes = known_codes()
        self.now = timezone.now()
        # Indexes over the directory and this run's new organisations.
        self.by_source: dict[str, tuple[Target, Provenance]] = {}
        self.by_domain: dict[str, Target] = {}
        self.grid: dict[tuple[int, int], list[tuple[Target, str, float, float]]] = {}
        self.targets: dict[int, Target] = {}
        self.seen_source_ids: dict[str, int] = {}
        self.pending_new: list[tuple[Target, str]] = []  # (target, source_id)
        self.pending_prov: list[Provenance] = []
        self.pending_prov_updates: list[Provenance] = []
        self._load_indexes()

    def _target(self, org_id: int) -> Target:
        target = self.targets.get(org_id)
        if target is None:
            target = self.targets[org_id] = Target(org_id=org_id)
        return target

    def _load_indexes(self) -> None:
        rows = Organisation.objects.exclude(status=Organisation.Status.REJECTED).values_list(
            "id", "name_key", "web_domain", "latitude", "longitude"
        )
        for org_id, key, domain, lat, lon in rows.iterator(chunk_size=5000):
            target = self._target(org_id)
            if domain:
                self.by_domain.setdefault(domain, target)
            if lat is not None and lon is not None and key:
                self.grid.setdefault(_cell(lat, lon), []).append((target, key, lat, lon))
        for prov in Provenance.objects.filter(source=self.source).iterator(chunk_size=5000):
            self.by_source[prov.source_id] = (self._target(prov.organisation_id), prov)

    def _index(self, target: Target, values: dict[str, Any]) -> None:
        domain = dedupe_domain(values["website"])
        if domain:
            self.by_domain.setdefault(domain, target)
        key = name_key(values["name"])
        if values["latitude"] is not None and key:
            lat, lon = values["latitude"], values["longitude"]
            self.grid.setdefault(_cell(lat, lon), []).append((target, key, lat, lon))

    def _near_same_name(self, values: dict[str, Any]) -> Target | None:
        if values["latitude"] is None:
            return None
        key = name_key(values["name"])
        if not key:
            return None
        lat, lon = values["latitude"], values["longitude"]
        cy, cx = _cell(lat, lon)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for target, other_key, olat, olon in self.grid.get((cy + dy, cx + dx), ()):
                    if other_key == key and distance_m(lat, lon, olat, olon) <= MERGE_DISTANCE_M:
                        return target
        return None

    def add(self, row: Record | Rejected) -> None:
        self.report.read += 1
        if isinstance(row, Rejected):
            self.reject(row)
            return
        try:
            if not row.source_id:
                raise RowRejected("missing source id", "source id")
            first = self.seen_source_ids.get(row.source_id)
            if first is not None:
                raise RowRejected(
                    f"duplicate source id '{row.source_id[:40]}' (first on line {first})",
                    "source id",
                )
            values = clean(row, self.fmt, self.codes)
        except RowRejected as exc:
            self.reject(Rejected(row.line, str(exc), field=exc.field, where=row.where))
            return
        self.seen_source_ids[row.source_id] = row.line
        digest = fingerprint(values)
        known = self.by_source.get(row.source_id)
        if known is not None:
            target, prov = known
            if prov.fingerprint == digest:
                self.report.unchanged += 1
                return
            prov.fingerprint = digest
            prov.imported_at = self.now
            if prov.pk:
                self.pending_prov_updates.append(prov)
            if prov.is_primary:
                target.overwrite = values
            else:
                target.fills.append(values)
            target.dirty = True
            self.report.updated += 1
            return
        domain = dedupe_domain(values["website"])
        target = self.by_domain.get(domain) if domain else None
        if target is None:
            target = self._near_same_name(values)
        if target is not None:
            target.fills.append(values)
            target.dirty = True
            prov = Provenance(
                source=self.source,
                source_id=row.source_id,
                imported_at=self.now,
                is_primary=False,
                fingerprint=digest,
            )
            self.by_source[row.source_id] = (target, prov)
            self.pending_prov.append(prov)
            self._attach(target, prov)
            self.report.merged += 1
            return
        target = Target(org_id=None, values=values)
        prov = Provenance(
            source=self.source,
            source_id=row.source_id,
            imported_at=self.now,
            is_primary=True,
            fingerprint=digest,
        )
        self.by_source[row.source_id] = (target, prov)
        self.pending_new.append((target, row.source_id))
        self.pending_prov.append(prov)
        self._attach(target, prov)
        self._index(target, values)
        self.report.created += 1

    def reject(self, row: Rejected) -> None:
        if self.strict:
            raise ImportRefused.for_row(row)
        self.report.rejected.append(row)

    def _attach(self, target: Target, prov: Provenance) -> None:
        prov._solidaria_target = target  # type: ignore[attr-defined]

    @property
    def pending(self) -> int:
        return (
            len(self.pending_prov)
            + len(self.pending_prov_updates)
            + sum(1 for t in self.targets.values() if t.dirty)
        )

    def flush(self) -> None:
        if not (self.pending_new or self.pending_prov or self.pending_prov_updates) and not any(
            t.dirty for t in self.targets.values()
        ):
            return
        with transaction.atomic():
            self._flush()

    def _flush(self) -> None:
        # New organisations: apply merges that arrived for them in this batch, then insert.
        new_rows: list[dict[str, Any]] = []
        for target, _source_id in self.pending_new:
            assert target.values is not None
            for extra in target.fills:
                _fill_empty(target.values, extra)
            target.fills, target.dirty = [], False
            new_rows.append(self._organisation_row(target.values))
        new_ids = insert_values(Organisation, new_rows)
        for (target, _sid), org_id in zip(self.pending_new, new_ids, strict=True):
            target.org_id = org_id
            target.values = None  # reloaded from the database if touched again
            self.targets[org_id] = target
        # Existing organisations that were updated or had rows merged into them.
        dirty = [t for t in self.targets.values() if t.dirty and t.org_id is not None]
        if dirty:
            orgs = Organisation.objects.in_bulk([t.org_id for t in dirty])
            changed: list[Organisation] = []
            for target in dirty:
                org = orgs[target.org_id]  # type: ignore[index]
                current = {name: getattr(org, name) for name in IMPORTED_FIELDS}
                before = dict(current)
                if target.overwrite is not None:
                    issues = current["data_issues"]
                    current = dict(target.overwrite)
                    current["data_issues"] = list(
                        dict.fromkeys([*target.overwrite["data_issues"], *issues])
                    )
                for extra in target.fills:
                    _fill_empty(current, extra)
                target.overwrite, target.fills, target.dirty = None, [], False
                if current == before:
                    continue  # a merge that added nothing: only the provenance is new
                for name, value in current.items():
                    setattr(org, name, value)
                org.name_key = name_key(org.name)
                org.web_domain = dedupe_domain(org.website)
                org.updated_at = self.now
                changed.append(org)
            fast_update(changed, UPDATE_FIELDS)
            demoted = [o for o in changed if o.status != self._status(o.name, o.status)]
            for org in demoted:
                org.status = Organisation.Status.PROPOSED
            fast_update(demoted, ["status"])
        for prov in self.pending_prov:
            prov.organisation_id = prov._solidaria_target.org_id  # type: ignore[attr-defined]
        fast_insert(self.pending_prov)
        fast_update(self.pending_prov_updates, ["fingerprint", "imported_at"])
        self.pending_new, self.pending_prov, self.pending_prov_updates = [], [], []

    @staticmethod
    def _status(name: str, status: str) -> str:
        """A junk name (`#NAME?`) sends a public entry back to review."""
        public = status in (Organisation.Status.CONFIRMED, Organisation.Status.ARCHIVED)
        return Organisation.Status.PROPOSED if public and is_junk_name(name) else status

    def _organisation_row(self, values: dict[str, Any]) -> dict[str, Any]:
        """Column values of a new organisation (no model instance: the insert is bulk)."""
        return {
            **values,
            "status": self._status(values["name"], self.status),
            "name_key": name_key(values["name"]),
            "web_domain": dedupe_domain(values["website"]),
            "created_by_id": self.actor_id,
        }


ANALYZE_FROM = 1000
JSON_FORMATS = ("susy", "murmurations")


def _require_some_rows(report: ImportReport, *, json_format: bool) -> None:
    """A file from which no row could be imported is refused, not reported as done."""
    if report.created or report.updated or report.merged or report.unchanged:
        return
    where = "$" if json_format else "line 1"
    if not report.rejected:
        raise ImportRefused(where, "", "no rows to import: the file has only a header")
    report.rejected.sort(key=lambda r: r.line)
    first = report.rejected[0]
    raise ImportRefused(
        first.location,
        first.field,
        f"no row could be imported: all {len(report.rejected):,} rows were rejected; "
        f"the first: {first.reason}",
        report,
    )


def analyze() -> None:
    """Refresh the planner's statistics after a large import: without them SQLite may
    walk the name index for a bbox search instead of the coordinate index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE directory_organisation")


def run_import(
    *,
    path: Path,
    fmt: str,
    actor: Any = None,
    status: str = Organisation.Status.CONFIRMED,
    progress: Callable[[int], None] | None = None,
    rebuild_clusters: bool = True,
    rows: Iterable[Record | Rejected] | None = None,
    skip_bad_rows: bool = True,
) -> ImportReport:
    """Import one file of a known format and return the report. Stewards and the CLI
    call this; imported entries are confirmed (they come from a curated source).

    `skip_bad_rows=False` (what the CLI and the upload page do unless asked): the first
    rejected row raises ImportRefused and nothing is written. Either way a file that
    cannot be read, or from which no row could be imported, raises ImportRefused."""
    from solidaria.core.audit import record as audit
    from solidaria.directory import clustering

    module = FORMATS[fmt]
    source = module.source_for(path) if hasattr(module, "source_for") else module.SOURCE
    with transaction.atomic():
        importer = Importer(
            source=source, fmt=module, status=status, actor=actor, strict=not skip_bad_rows
        )
        try:
            for row in rows if rows is not None else module.read(path):
                importer.add(row)
                if progress:
                    progress(1)
                if importer.report.read % BATCH_SIZE == 0:
                    importer.flush()
        except FileRefused as exc:
            raise ImportRefused(exc.where, exc.field, exc.message) from None
        _require_some_rows(importer.report, json_format=fmt in JSON_FORMATS)
        importer.flush()
    report = importer.report
    report.rejected.sort(key=lambda r: r.line)
    if report.created or report.updated or report.merged:
        if rebuild_clusters:
            clustering.rebuild()
        if report.created + report.updated + report.merged >= ANALYZE_FROM:
            analyze()
        with transaction.atomic():
            audit(
                actor=actor,
                verb="directory.import",
                obj=f"{source}:{path.name}"[:64],
                data={k: v for k, v in report.as_dict().items() if k != "rejected_rows"},
            )
    return report
