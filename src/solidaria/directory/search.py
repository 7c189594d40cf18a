"""Directory search: full text, bounding box, facets with counts, pagination.

Full text uses the database's own index: an FTS5 table kept in step by triggers on
SQLite, a generated tsvector column with a GIN index on PostgreSQL (migration 0002).
Each word of the query must match as a prefix ("coop bak" finds "Co-op Bakery").
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from solidaria.core.errors import ValidationFailed
from solidaria.directory.clustering import BBox
from solidaria.directory.models import Organisation
from solidaria.directory.taxonomy import labels as concept_labels

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_WORDS = 8
FACET_LIMIT = 15
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SearchParams:
    q: str = ""
    bbox: BBox | None = None
    activity: str = ""
    structure: str = ""
    country: str = ""
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass
class FacetValue:
    code: str
    label: str
    count: int


@dataclass
class SearchResult:
    total: int
    page: int
    pages: int
    page_size: int
    results: list[Organisation]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


def parse_bbox(text: str | None) -> BBox | None:
    """`minlon,minlat,maxlon,maxlat` -> BBox; ValidationFailed(field='bbox') if malformed."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationFailed("bbox must be minlon,minlat,maxlon,maxlat", field="bbox")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValidationFailed("bbox values must be numbers", field="bbox") from None
    if any(math.isnan(v) or math.isinf(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValidationFailed("bbox values must be finite", field="bbox")
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed(
            "bbox must satisfy -180 <= minlon <= maxlon <= 180 and -90 <= minlat <= maxlat <= 90",
            field="bbox",
        )
    return BBox(min_lon, min_lat, max_lon, max_lat)


def text_filter(qs: QuerySet[Organisation], q: str) -> QuerySet[Organisation]:
    words = _WORD.findall(q)[:MAX_WORDS]
    if not words:
        return qs
    if connection.vendor == "sqlite":
        match = " ".join(f'"{w}"*' for w in words)
        sql = (
            "SELECT rowid FROM directory_organisation_fts WHERE directory_organisation_fts MATCH %s"
        )
        return qs.filter(id__in=RawSQL(sql, [match]))
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        sql = "SELECT id FROM directory_organisation WHERE search_tsv @@ to_tsquery('simple', %s)"
        return qs.filter(id__in=RawSQL(sql, [tsquery]))
    condition = Q()
    for word in words:
        condition &= Q(name__icontains=word) | Q(description__icontains=word)
    return qs.filter(condition)


def bbox_filter(qs: QuerySet[Organisation], box: BBox) -> QuerySet[Organisation]:
    return qs.filter(
        latitude__gte=box.min_lat,
        latitude__lte=box.max_lat,
        longitude__gte=box.min_lon,
        longitude__lte=box.max_lon,
    )


def activity_filter(qs: QuerySet[Organisation], code: str) -> QuerySet[Organisation]:
    """ICA activity codes (ICA140) and ESSGlobal activity codes (a05) share one facet."""
    return (
        qs.filter(ica_activity=code) if code.upper().startswith("ICA") else qs.filter(activity=code)
    )


def filtered(params: SearchParams) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(status=Organisation.Status.CONFIRMED)
    if params.q.strip():
        qs = text_filter(qs, params.q)
    if params.bbox is not None:
        qs = bbox_filter(qs, params.bbox)
    if params.activity:
        qs = activity_filter(qs, params.activity)
    if params.structure:
        qs = qs.filter(structure=params.structure)
    if params.country:
        qs = qs.filter(country=params.country.upper())
    return qs


def _counts(qs: QuerySet[Organisation], column: str) -> list[tuple[str, int]]:
    rows = (
        qs.exclude(**{column: ""})
        .order_by()
        .values_list(column)
        .annotate(n=Count("id"))
        .order_by("-n", column)[:FACET_LIMIT]
    )
    return [(code, n) for code, n in rows]


def facets(qs: QuerySet[Organisation], language: str | None = None) -> dict[str, list[FacetValue]]:
    raw = {
        "activity": _counts(qs, "ica_activity") + _counts(qs, "activity"),
        "structure": _counts(qs, "structure"),
        "country": _counts(qs, "country"),
    }
    names = concept_labels(
        ["activities-ica", "activities", "organisational-structure", "countries-iso"], language
    )
    scheme_of = {"structure": "organisational-structure", "country": "countries-iso"}
    out: dict[str, list[FacetValue]] = {}
    for facet, pairs in raw.items():
        values = []
        for code, n in pairs:
            if facet == "activity":
                scheme = "activities-ica" if code.upper().startswith("ICA") else "activities"
            else:
                scheme = scheme_of[facet]
            values.append(FacetValue(code=code, label=names.get((scheme, code), code), count=n))
        values.sort(key=lambda v: (-v.count, v.code))
        out[facet] = values[:FACET_LIMIT]
    return out


# Unfiltered facet counts of a large directory, per language: (expires, total, facets).
_UNFILTERED: dict[str | None, tuple[float, int, dict[str, list[FacetValue]]]] = {}
UNFILTERED_TTL_S = 30.0
CACHE_FROM = 10_000


def _is_unfiltered(params: SearchParams) -> bool:
    return not (
        params.q.strip() or params.bbox or params.activity or params.structure or params.country
    )


def _facets_for(
    params: SearchParams, qs: QuerySet[Organisation], total: int, language: str | None
) -> dict[str, list[FacetValue]]:
    """The landing page of a big directory asks the same question every time: its facet
    counts are kept for 30 s (while the total is unchanged)."""
    if total < CACHE_FROM or not _is_unfiltered(params):
        return facets(qs, language)
    cached = _UNFILTERED.get(language)
    now = time.monotonic()
    if cached and cached[0] > now and cached[1] == total:
        return cached[2]
    found = facets(qs, language)
    _UNFILTERED[language] = (now + UNFILTERED_TTL_S, total, found)
    return found


def search(
    params: SearchParams, *, with_facets: bool = True, language: str | None = None
) -> SearchResult:
    if params.page < 1:
        raise ValidationFailed("page must be 1 or more", field="page")
    size = max(1, min(MAX_PAGE_SIZE, params.page_size))
    qs = filtered(params)
    total = qs.count()
    pages = max(1, math.ceil(total / size))
    start = (params.page - 1) * size
    results = list(qs.order_by("name", "id")[start : start + size])
    return SearchResult(
        total=total,
        page=params.page,
        pages=pages,
        page_size=size,
        results=results,
        facets=_facets_for(params, qs, total, language) if with_facets else {},
    )


def as_params(data: dict[str, Any]) -> SearchParams:
    """From query-string values (page, API): validates bbox and page."""
    try:
        page = int(data.get("page") or 1)
    except (TypeError, ValueError):
        raise ValidationFailed("page must be a whole number", field="page") from None
    return SearchParams(
        q=str(data.get("q") or ""),
        bbox=parse_bbox(data.get("bbox")),
        activity=str(data.get("activity") or "").strip(),
        structure=str(data.get("structure") or "").strip(),
        country=str(data.get("country") or "").strip(),
        page=page,
    )
