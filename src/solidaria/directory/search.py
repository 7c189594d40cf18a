"""Directory search: full text, bounding box, facets with counts, pagination.

Full text uses the database's own index, which holds confirmed organisations only: an
FTS5 table kept in step by triggers on SQLite, a generated tsvector column with a
partial GIN index on PostgreSQL (migrations 0002, 0003, 0013). Each word of the query
must match as a prefix ("coop bak" finds "Co-op Bakery"); text results come best match
first (bm25 on SQLite with name matches weighted up, ts_rank on PostgreSQL), other
searches in name order. On PostgreSQL a prefix is looked up as the whole words of the
index it stands for (`whole_words.py`, migration 0012), the facet filters of a text
search are read from the same GIN index (0013), and a name-ordered page past the cap
walks a name index of confirmed organisations (0014).

Each search is at most three queries (on PostgreSQL, one more to look up the words and,
past the cap, the planner's estimate):
- total and facet counts: a search by facet values alone sums rows of the facet count
  table (`directory_facet_count`, kept by triggers), never scanning organisations, and
  is exact; a text or bbox search groups its matches by their facet values (on SQLite by
  the integer key of that combination) and the total is the sum, but it reads at most
  COUNT_CAP + 1 matches (`LIMIT` inside the grouping), as mature search engines do: past
  the cap the result says `more` ("more than 1,000") and its facets count the first
  COUNT_CAP + 1 matches only. An exact count of 250,000 matches among 1,000,000 entries
  reads every one of them (415 ms on PostgreSQL), the capped one about 5 ms;
- the page: ids in order with LIMIT/OFFSET, then the organisations of the page. Text
  results come best match first only when every match was counted (at most COUNT_CAP):
  ranking needs every match scored (413 ms for 250,000), so a larger match set comes in
  name order (`order` says which), walking the name index (under 1 ms).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from solidaria.core.errors import ValidationFailed
from solidaria.directory.clustering import BBox
from solidaria.directory.importers.cleaning import normalise_country
from solidaria.directory.models import Organisation
from solidaria.directory.taxonomy import labels as concept_labels
from solidaria.directory.whole_words import text_condition

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_WORDS = 8
FACET_LIMIT = 15
# A text or bbox search counts its matches up to this many; past it the result says
# "more than COUNT_CAP" and comes in name order instead of best match first.
COUNT_CAP = 1_000
_WORD = re.compile(r"\w+", re.UNICODE)

ORG = "directory_organisation"
FTS = "directory_organisation_fts"
FACET_TABLE = "directory_facet_count"
FACET_KEYS = "directory_facet_key"
# Entries of the name index a walk tests in the time of reading one matching row
# (PostgreSQL): the walk reads each entry's row to test the text (the index cannot hold
# the text: migration 0014), so an entry costs a row.
WALK_ENTRIES_PER_ROW = 1
NAME_INDEX = "dir_org_status_name"
FACET_COLUMNS = ("country", "ica_activity", "activity", "structure")
CONFIRMED = Organisation.Status.CONFIRMED.value


@dataclass
class SearchParams:
    q: str = ""
    bbox: BBox | None = None
    activity: str = ""
    structure: str = ""
    country: str = ""
    # Entries aggregated from other networks: "include" (default), "exclude" or "only".
    federated: str = "include"
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
    # True when more entries match than `total` (counting stopped at COUNT_CAP); the
    # facets then count the first matches only.
    more: bool = False
    # "rank" (best match first) or "name".
    order: str = "name"


def bbox_numbers(text: str) -> tuple[float, float, float, float]:
    """The four numbers of `minlon,minlat,maxlon,maxlat`; ValidationFailed(field='bbox')."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationFailed(
            _("Give the box as four numbers: minlon,minlat,maxlon,maxlat."),
            field="bbox",
        )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValidationFailed(
            _("The four values of the box must be numbers."), field="bbox"
        ) from None
    return min_lon, min_lat, max_lon, max_lat


def parse_bbox(text: str | None) -> BBox | None:
    """`minlon,minlat,maxlon,maxlat` -> BBox; ValidationFailed(field='bbox') if malformed."""
    if text is None or not text.strip():
        return None
    min_lon, min_lat, max_lon, max_lat = bbox_numbers(text)
    if any(math.isnan(v) or math.isinf(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValidationFailed(
            _("The four values of the box must be finite numbers."), field="bbox"
        )
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed(
            _(
                "The box must have -180 <= minlon <= maxlon <= 180 and "
                "-90 <= minlat <= maxlat <= 90."
            ),
            field="bbox",
        )
    return BBox(min_lon, min_lat, max_lon, max_lat)


def country_code(text: str) -> str:
    """The country filter as an ISO code: codes and names in any language pycountry or
    the importers know (`de`, `Germany`, `Deutschland` -> `DE`); ValidationFailed
    (field='country') for text that names no country."""
    text = text.strip()
    if not text:
        return ""
    code = normalise_country(text)
    if not code:
        raise ValidationFailed(
            _("'%(text)s' is an unknown country.") % {"text": text[:60]}, field="country"
        )
    return code


def words_of(q: str) -> list[str]:
    return _WORD.findall(q)[:MAX_WORDS]


FEDERATED_CHOICES = ("include", "exclude", "only")


def federated_choice(text: str) -> str:
    """The `federated` filter: include (default), exclude or only; ValidationFailed else."""
    value = text.strip().lower() or "include"
    if value not in FEDERATED_CHOICES:
        raise ValidationFailed(
            _("The federated filter must be include, exclude or only."), field="federated"
        )
    return value


def _federated_condition(params: SearchParams, alias: str = "o.") -> list[str]:
    if params.federated == "exclude":
        return [f"{alias}source_network IS NULL"]
    if params.federated == "only":
        return [f"{alias}source_network IS NOT NULL"]
    return []


def _facet_filters(params: SearchParams) -> list[tuple[str, str]]:
    """(column, value) of the facet filters (activity, structure, country)."""
    filters: list[tuple[str, str]] = []
    if params.activity:
        # ICA activity codes (ICA140) and ESSGlobal activity codes (a05) share one facet.
        column = "ica_activity" if params.activity.upper().startswith("ICA") else "activity"
        filters.append((column, params.activity))
    if params.structure:
        filters.append(("structure", params.structure))
    if params.country:
        filters.append(("country", params.country.upper()))
    return filters


def _facet_conditions(params: SearchParams, alias: str = "o.") -> tuple[list[str], list[Any]]:
    """SQL conditions for the facet filters (activity, structure, country)."""
    filters = _facet_filters(params)
    return [f"{alias}{column} = %s" for column, _v in filters], [v for _c, v in filters]


# The facet values of an organisation as the index of migration 0013 holds them.
FACET_ARRAY = (
    "ARRAY['c:' || o.country::text, 'i:' || o.ica_activity::text, "
    "'a:' || o.activity::text, 's:' || o.structure::text]"
)
# The prefix of each facet column's values in FACET_ARRAY.
_TAG_OF = {"country": "c:", "ica_activity": "i:", "activity": "a:", "structure": "s:"}


def _facet_tags(params: SearchParams) -> list[str]:
    """The facet filters as elements of FACET_ARRAY (`c:ES`, `i:ICA140`, `a:a05`, `s:OS10`)."""
    return [_TAG_OF[column] + value for column, value in _facet_filters(params)]


def _row_conditions(params: SearchParams) -> tuple[list[str], list[Any]]:
    """Conditions on organisations `o`: confirmed, in the bbox, with the facet values."""
    sql, args = ["o.status = %s"], [CONFIRMED]
    if params.bbox is not None:
        box = params.bbox
        sql += ["o.latitude >= %s", "o.latitude <= %s", "o.longitude >= %s", "o.longitude <= %s"]
        args += [box.min_lat, box.max_lat, box.min_lon, box.max_lon]
    facet_sql, facet_args = _facet_conditions(params)
    return sql + facet_sql + _federated_condition(params), args + facet_args


class _Query:
    """FROM/WHERE of one search and how its matches are ranked."""

    def __init__(self, params: SearchParams, words: list[str]) -> None:
        self.params, self.words = params, words
        self.vendor = connection.vendor
        where, args = _row_conditions(params)
        self.order = "o.name, o.id"
        self.order_args: list[Any] = []
        self.text_only = False
        self.total: int | None = None
        self.more = False  # more than `total` matches (counting stopped at the cap)
        self.estimates: tuple[float, float] | None = None  # matches, confirmed (PostgreSQL)
        if not words:
            self.source = f"{ORG} o"
        elif self.vendor == "sqlite":
            self.source = f"{FTS} f JOIN {ORG} o ON o.id = f.rowid"
            self.match = " ".join(f'"{w}"*' for w in words)
            where, args = [f"f.{FTS} MATCH %s", *where], [self.match, *args]
            self.order = "f.rank, o.id"
            self.text_only = (
                params.bbox is None
                and not _facet_conditions(params)[0]
                and not _federated_condition(params)
            )
        elif self.vendor == "postgresql":
            self.source = f"{ORG} o"
            tsquery = " & ".join(f"{w}:*" for w in words)
            text_sql, text_args = text_condition(words)
            where, args = [text_sql, *where], [*text_args, *args]
            # the planner's estimate leaves out the tags below: it keeps no statistics
            # of them (the index is partial) and would count each filter twice, the
            # second time as 0.5 % of the rows (18 estimated for 3,155 matches)
            estimated = " AND ".join(where), list(args)
            tags = _facet_tags(params)
            if tags:  # the same filters, as the text and facets index reads them (0013)
                where.append(f"{FACET_ARRAY} @> %s::text[]")
                args.append(tags)
            # ranked by the query as typed: the whole words rank differently (ts_rank
            # divides by the number of words in the query)
            self.order = "ts_rank(o.search_tsv, to_tsquery('simple', %s)) DESC, o.id"
            self.order_args = [tsquery]
        else:  # no full-text index: every word in the name or the description
            self.source = f"{ORG} o"
            for word in words:
                where.append("(LOWER(o.name) LIKE %s OR LOWER(o.description) LIKE %s)")
                args += [f"%{word.lower()}%"] * 2
        self.where, self.args = " AND ".join(where), args
        if self.vendor != "postgresql" or not words:
            estimated = self.where, self.args
        self.estimated_where, self.estimated_args = estimated

    def _fetch(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(args))
            return list(cursor.fetchall())

    def count(self) -> int:
        if self.text_only:  # the text index holds confirmed organisations only
            sql = f"SELECT COUNT(*) FROM {FTS} WHERE {FTS} MATCH %s"
            return int(self._fetch(sql, [self.match])[0][0])
        sql = f"SELECT COUNT(*) FROM {self.source} WHERE {self.where}"
        return int(self._fetch(sql, self.args)[0][0])

    def bounded_count(self, cap: int) -> int:
        """The number of matches, read no further than cap + 1 of them."""
        if self.text_only:
            inner = f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s"
            args: list[Any] = [self.match, cap + 1]
        else:
            inner = f"SELECT o.id FROM {self.source} WHERE {self.where} LIMIT %s"
            args = [*self.args, cap + 1]
        return int(self._fetch(f"SELECT COUNT(*) FROM ({inner}) m", args)[0][0])

    def grouped(self, cap: int | None = None) -> list[tuple[str, str, str, str, int]]:
        """(country, ica_activity, activity, structure, count) over the first cap + 1
        matches (all of them when there are no more, or with no cap). On SQLite the matches are grouped
        by their facet key (one integer, migration 0004), then the few groups are joined
        to their values: twice as fast as grouping by the four text columns."""
        limit, args = ("", self.args) if cap is None else (" LIMIT %s", [*self.args, cap + 1])
        if self.vendor == "sqlite":
            columns = ", ".join(f"k.{c}" for c in FACET_COLUMNS)
            sql = (
                f"SELECT {columns}, g.n FROM (SELECT m.fk, COUNT(*) AS n FROM "
                f"(SELECT o.facet_key AS fk FROM {self.source} WHERE {self.where}{limit}) m "
                f"GROUP BY m.fk) g JOIN {FACET_KEYS} k ON k.key = g.fk"
            )
        else:
            inner = ", ".join(f"o.{c}" for c in FACET_COLUMNS)
            columns = ", ".join(f"m.{c}" for c in FACET_COLUMNS)
            sql = (
                f"SELECT {columns}, COUNT(*) FROM (SELECT {inner} FROM {self.source} "
                f"WHERE {self.where}{limit}) m GROUP BY {columns}"
            )
        rows = self._fetch(sql, args)
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def scored(
        self, cap: int, limit: int | None = None
    ) -> list[tuple[int, tuple[str, str, str, str], float, int]]:
        """(id, facet values, rank key, place in name order) of the first cap + 1 matches
        of a text search (or `limit`), in the order the scan found them, in one pass over
        the text index: the count, the facets and (when there are no more) the page in
        rank order all come from it. A frequent word is a long posting list that each
        query reads again (a prefix of a word in half the entries: 28 ms), so reading it
        once halves a text search. The rank key sorts best first; the place in name order
        (from 1) is there only with a `limit` (PostgreSQL, `every_match_limit`), else 0."""
        columns = ", ".join(f"o.{c}" for c in FACET_COLUMNS)
        if self.vendor == "sqlite":
            rank, rank_args = "f.rank", []  # bm25: lower is better
        else:
            rank, rank_args = f"-{self.order.split(' DESC')[0]}", list(self.order_args)
        found = f"FROM {self.source} WHERE {self.where} LIMIT %s"
        if limit is None:
            sql, limit = f"SELECT o.id, {columns}, {rank}, 0 {found}", cap + 1
        else:  # numbered in scan order, then in name order (the page's order past the cap)
            sql = (
                f"SELECT m.id, m.country, m.ica_activity, m.activity, m.structure, m.rank, "
                f"row_number() OVER (ORDER BY m.name, m.id) FROM (SELECT o.id, {columns}, "
                f"{rank} AS rank, o.name, row_number() OVER () AS scan {found}) m ORDER BY m.scan"
            )
        rows = self._fetch(sql, [*rank_args, *self.args, limit])
        return [(int(r[0]), (r[1], r[2], r[3], r[4]), float(r[5]), int(r[6])) for r in rows]

    def every_match_limit(self, cap: int, end: int) -> int | None:
        """On PostgreSQL, when its estimate says the matches are more than the cap but
        few enough that a page past the cap sorts every one of them (_sort_matches_by_name),
        the text pass reads them all (up to twice the estimate) and numbers them in name
        order: one pass of the matches instead of the first cap + 1 and then all of them
        again for the page (1,001 + 2,000 rows read for a word in 2,000 entries). None
        otherwise: the text pass reads the first cap + 1."""
        if not (self.words and self.vendor == "postgresql"):
            return None
        matches, _confirmed = self._estimated_matches()
        if 2 * matches <= cap + 1 or not self._sorting_is_cheaper(end):
            return None
        return int(2 * matches) + 1

    def by_name(self) -> None:
        """Order the page by name instead of rank (too many matches to rank them all)."""
        self.order, self.order_args, self.text_only = "o.name, o.id", [], False

    @property
    def ranked(self) -> bool:
        return bool(self.words) and not self.order.startswith("o.name")

    def _walk_name_order(self, end: int) -> bool:
        """SQLite plans a filtered page one way for every value (it keeps no per-value
        statistics): sort the matches by name, or walk the (status, name) index and skip
        non-matches. Walking reads about confirmed * end / total entries, sorting about
        total rows; we know both counts, so pick the cheaper."""
        if self.more:  # over COUNT_CAP matches: a walk reads <= confirmed * end / cap
            return True
        if self.total is None or self.total == 0:
            return False
        return confirmed_count() * end < self.total * self.total

    def _estimated_matches(self) -> tuple[float, float]:
        """PostgreSQL's estimates of the number of matches (from its statistics of words)
        and of confirmed organisations, from one EXPLAIN (a round trip less: under load
        each one waits for a CPU), asked once per search. A parallel plan (a Gather over
        a Parallel Append, whose parts come in another order with rows per worker) is
        asked again as the matches alone, with the count of confirmed organisations."""
        if self.estimates is not None:
            return self.estimates
        sql = (
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.source} WHERE {self.estimated_where} "
            f"UNION ALL SELECT 1 FROM {ORG} WHERE status = %s"
        )
        top = self._plan(sql, [*self.estimated_args, CONFIRMED])
        parts = top.get("Plans", [])
        if top["Node Type"] == "Append" and len(parts) == 2:
            self.estimates = float(parts[0]["Plan Rows"]), float(parts[1]["Plan Rows"])
        else:
            sql = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.source} WHERE {self.estimated_where}"
            matches = self._plan(sql, self.estimated_args)["Plan Rows"]
            self.estimates = float(matches), float(confirmed_count())
        return self.estimates

    def _plan(self, sql: str, args: Sequence[Any]) -> dict[str, Any]:
        """The top node of an EXPLAIN (FORMAT JSON)."""
        plan = self._fetch(sql, args)[0][0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return dict(plan[0]["Plan"])

    def _sort_matches_by_name(self, end: int) -> bool:
        """A text search past the cap, in name order on PostgreSQL: walking the name
        index (migration 0014) tests about confirmed * end / matches entries, sorting the
        matches reads every match (a row costs about WALK_ENTRIES_PER_ROW entries). The
        planner misjudges the walk (it prices the text test as free: 79 ms walking
        against 5 ms sorting 1,153 matches among 1,000,000), so we pick the cheaper from
        its estimate of the matches."""
        if not (self.more and self.words and self.vendor == "postgresql"):
            return False
        return self._sorting_is_cheaper(end)

    def _sorting_is_cheaper(self, end: int) -> bool:
        """From the estimates: sorting every match (about `matches` rows) costs less than
        walking the name index to `end` (about confirmed * end / matches entries)."""
        matches, confirmed = self._estimated_matches()
        return matches * matches * WALK_ENTRIES_PER_ROW < confirmed * end

    def page_ids(self, offset: int, limit: int) -> list[int]:
        if self._sort_matches_by_name(offset + limit):
            sql = (
                f"WITH m AS MATERIALIZED (SELECT o.id, o.name FROM {self.source} "
                f"WHERE {self.where}) SELECT id FROM m ORDER BY name, id LIMIT %s OFFSET %s"
            )
            return [row[0] for row in self._fetch(sql, [*self.args, limit, offset])]
        if self.text_only:
            sql = f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rank, rowid "
            sql += "LIMIT %s OFFSET %s"
            return [row[0] for row in self._fetch(sql, [self.match, limit, offset])]
        source = self.source
        if not self.words and self.vendor == "sqlite" and self._walk_name_order(offset + limit):
            source += f" INDEXED BY {NAME_INDEX}"
        sql = (
            f"SELECT o.id FROM {source} WHERE {self.where} ORDER BY {self.order} LIMIT %s OFFSET %s"
        )
        args = [*self.args, *self.order_args, limit, offset]
        return [row[0] for row in self._fetch(sql, args)]


def _facet_table_rows(params: SearchParams) -> list[tuple[str, str, str, str, int]]:
    """The facet count table's rows for a search without text or bbox (the table counts
    own and federated entries apart: migration 0009)."""
    sql, args = _facet_conditions(params, alias="")
    if params.federated != "include":
        sql.append("federated = %s")
        args.append(params.federated == "only")
    where = " AND ".join(["n > 0", *sql])
    query = f"SELECT {', '.join(FACET_COLUMNS)}, n FROM {FACET_TABLE} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(query, args)
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


def confirmed_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(n), 0) FROM {FACET_TABLE}")
        return int(cursor.fetchone()[0])


def _has_facet_table() -> bool:
    return connection.vendor in ("sqlite", "postgresql")


def facet_values(
    rows: Iterable[tuple[str, str, str, str, int]], language: str | None = None
) -> dict[str, list[FacetValue]]:
    """Facets from grouped counts: activity (ICA and ESSGlobal codes together), structure
    and country, each the FACET_LIMIT largest by count, then code; empty codes left out."""
    activity: Counter[str] = Counter()
    structure: Counter[str] = Counter()
    country: Counter[str] = Counter()
    for country_code, ica, act, struct, n in rows:
        if ica:
            activity[ica] += n
        if act:
            activity[act] += n
        if struct:
            structure[struct] += n
        if country_code:
            country[country_code] += n
    names = concept_labels(
        ["activities-ica", "activities", "organisational-structure", "countries-iso"], language
    )

    def top(counts: Counter[str], scheme_of: Any) -> list[FacetValue]:
        best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_LIMIT]
        return [
            FacetValue(code=code, label=names.get((scheme_of(code), code), code), count=n)
            for code, n in best
        ]

    return {
        "activity": top(
            activity, lambda c: "activities-ica" if c.upper().startswith("ICA") else "activities"
        ),
        "structure": top(structure, lambda c: "organisational-structure"),
        "country": top(country, lambda c: "countries-iso"),
    }


def search(
    params: SearchParams, *, with_facets: bool = True, language: str | None = None
) -> SearchResult:
    if params.page < 1:
        raise ValidationFailed(_("The page must be 1 or more."), field="page")
    size = max(1, min(MAX_PAGE_SIZE, params.page_size))
    params = replace(params, country=country_code(params.country))
    query = _Query(params, words_of(params.q))
    facets: dict[str, list[FacetValue]] = {}
    more = False
    ranked_ids: list[int] | None = None
    name_ids: list[int] | None = None
    start = (params.page - 1) * size
    if not query.words and params.bbox is None and _has_facet_table():
        rows = _facet_table_rows(params)
        total = sum(row[4] for row in rows)
        if with_facets:
            facets = facet_values(rows, language)
    elif query.ranked:
        limit = query.every_match_limit(COUNT_CAP, start + size)
        scored = query.scored(COUNT_CAP, limit)
        first = scored[: COUNT_CAP + 1]  # the facets past the cap count these
        if with_facets:
            groups = Counter(values for _i, values, _r, _n in first)
            facets = facet_values(((*k, n) for k, n in groups.items()), language)
        total = len(first)
        if total > COUNT_CAP:
            more, total = True, COUNT_CAP
            query.by_name()
            if limit is not None and len(scored) < limit:  # every match: page by name
                name_ids = [i for i, _v, _r, _n in sorted(scored, key=lambda m: m[3])]
        else:  # every match is here: the page in rank order without another query
            ranked_ids = [i for i, _v, _r, _n in sorted(first, key=lambda m: (m[2], m[0]))]
    else:
        if with_facets:
            rows = query.grouped(COUNT_CAP)
            total = sum(row[4] for row in rows)
            facets = facet_values(rows, language)
        else:
            total = query.bounded_count(COUNT_CAP)
        if total > COUNT_CAP:
            more, total = True, COUNT_CAP
            query.by_name()
    query.total, query.more = total, more
    pages = max(1, math.ceil(total / size))
    if start >= total:
        ids: list[int] = []
    elif ranked_ids is not None:  # every match was scored: cut the page in rank order
        ids = ranked_ids[start : start + size]
    elif name_ids is not None:
        ids = name_ids[start : min(start + size, total)]
    else:
        ids = query.page_ids(start, min(size, total - start))
    found = Organisation.objects.in_bulk(ids)
    return SearchResult(
        total=total,
        page=params.page,
        pages=pages,
        page_size=size,
        results=[found[i] for i in ids if i in found],
        facets=facets,
        more=more,
        order="rank" if query.ranked else "name",
    )


FILTERS = ("q", "country", "activity", "structure", "federated")


def filter_params(data: Mapping[str, Any]) -> SearchParams:
    """The filters of a query string (q, country, activity, structure, federated), as
    every search reads them: the list page, the map page and the map's clusters. The
    country and federated values are validated here (ValidationFailed on that field)."""
    return SearchParams(
        q=str(data.get("q") or ""),
        activity=str(data.get("activity") or "").strip(),
        structure=str(data.get("structure") or "").strip(),
        country=country_code(str(data.get("country") or "")),
        federated=federated_choice(str(data.get("federated") or "")),
    )


def has_filters(params: SearchParams) -> bool:
    return bool(
        words_of(params.q)
        or params.activity
        or params.structure
        or params.country
        or params.federated != "include"
    )


def as_params(data: Mapping[str, Any]) -> SearchParams:
    """From query-string values (page, API): validates the filters, bbox and page."""
    try:
        page = int(data.get("page") or 1)
    except (TypeError, ValueError):
        raise ValidationFailed(_("The page must be a whole number."), field="page") from None
    return replace(filter_params(data), bbox=parse_bbox(data.get("bbox")), page=page)


def located_matches(params: SearchParams, limit: int) -> tuple[int, list[tuple[int, float, float]]]:
    """For the map: how many organisations in `params.bbox` match the filters, and the
    (id, latitude, longitude) of the first `limit` of them."""
    if params.bbox is None:
        raise ValidationFailed(_("The map needs a box (bbox)."), field="bbox")
    params = replace(params, country=country_code(params.country))
    query = _Query(params, words_of(params.q))
    sql = f"SELECT o.id, o.latitude, o.longitude FROM {query.source} WHERE {query.where} LIMIT %s"
    points = [
        (int(i), float(lat), float(lon)) for i, lat, lon in query._fetch(sql, [*query.args, limit])
    ]
    total = len(points) if len(points) < limit else query.count()
    return total, points
