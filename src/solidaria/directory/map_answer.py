"""The answer of GET /api/directory/clusters, fast and briefly cached.

The world view of 100k+ organisations at zoom 9-12 is tens of thousands of clusters,
most of them single organisations with a name, a type and a page. Three things made it
take seconds: validating each cluster through the response schema, one `reverse()` per
single organisation, and an `IN (...)` list of thousands of parameters. Here the answer
is built as the schema's plain JSON (same fields, same order, same values: the tests
compare it with the schema-validated answer), pages come from one reversed URL, and on
PostgreSQL the singles' details are one array parameter.

Clusters are public data, so the rendered answer is cached for MAP_CACHE_SECONDS
(setting SOLIDARIA_MAP_CACHE_SECONDS, default 60; 0 turns the cache off) in Django's
default cache. The key is the language, the zoom, the filters and, up to MAX_AGG_ZOOM
without filters, the grid cells the bbox covers (two boxes over the same cells have
the same answer), otherwise the exact bbox. An edit shows on the map within that time (a minute).
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from solidaria.directory import clustering, search
from solidaria.directory.models import Organisation
from solidaria.directory.taxonomy import labels as concept_labels

SCHEMES = ["organisational-structure", "activities-ica", "activities"]
_PLACEHOLDER = 987654321987


def cache_seconds() -> int:
    return int(getattr(settings, "SOLIDARIA_MAP_CACHE_SECONDS", 60))


def _singles(ids: list[int]) -> list[tuple[int, str, str, str, str]]:
    if not ids:
        return []
    if connection.vendor == "postgresql":
        table = Organisation._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "id", "name", "structure", "ica_activity", "activity" '  # noqa: S608
                f'FROM "{table}" WHERE "id" = ANY(%s::bigint[])',
                # one text parameter: psycopg adapts a list of 20k ints item by item
                ["{" + ",".join(map(str, ids)) + "}"],
            )
            return list(cursor.fetchall())
    return list(
        Organisation.objects.filter(pk__in=ids).values_list(
            "pk", "name", "structure", "ica_activity", "activity"
        )
    )


def describe_singles(found: list[dict[str, Any]], language: str | None) -> list[dict[str, Any]]:
    """Each cluster as the API's ClusterOut: lat, lon, count, id, and for a single
    organisation its name, type (structure, else ICA activity, else activity, in the
    language) and page; None for those on a group."""
    ids = [c["id"] for c in found if c["id"] is not None]
    names = concept_labels(SCHEMES, language)
    page = reverse("directory:detail", args=[_PLACEHOLDER])
    head, _, tail = page.partition(str(_PLACEHOLDER))
    about: dict[int, tuple[str, str, str]] = {}
    for pk, name, structure, ica, activity in _singles(ids):
        kind = ""
        for scheme, code in zip(SCHEMES, (structure, ica, activity), strict=True):
            if code:
                kind = names.get((scheme, code), "")
                if kind:
                    break
        about[pk] = (name, kind, f"{head}{pk}{tail}")
    out = []
    nothing: tuple[str | None, str | None, str | None] = (None, None, None)
    for c in found:
        single, kind_of, url = about.get(c["id"], nothing)
        out.append(
            {
                "lat": c["lat"],
                "lon": c["lon"],
                "count": c["count"],
                "id": c["id"],
                "name": single,
                "type": kind_of,
                "url": url,
            }
        )
    return out


def answer(
    box: clustering.BBox, zoom: int, params: search.SearchParams, language: str | None
) -> dict[str, Any]:
    """The ClustersOut dict (zoom, total, clusters) for the box at the zoom."""
    if search.has_filters(params):
        total, points = search.located_matches(replace(params, bbox=box), clustering.POINT_LIMIT)
        found = clustering.group_points(points, zoom)
    else:
        found = clustering.clusters(box, zoom)
        total = sum(c["count"] for c in found)
    return {"zoom": zoom, "total": total, "clusters": describe_singles(found, language)}


def cache_key(
    box: clustering.BBox, zoom: int, params: search.SearchParams, language: str | None
) -> str:
    filtered = search.has_filters(params)
    if not filtered and zoom <= clustering.MAX_AGG_ZOOM:
        where: tuple[Any, ...] = ("cells", *clustering._cell_ranges(box, zoom))
    else:
        where = ("box", repr(box.min_lon), repr(box.min_lat), repr(box.max_lon), repr(box.max_lat))
    text = repr((language, zoom, where, astuple(params)))
    return "directory:clusters:" + hashlib.sha256(text.encode()).hexdigest()


def response(
    request: HttpRequest,
    box: clustering.BBox,
    zoom: int,
    params: search.SearchParams,
    language: str | None,
) -> HttpResponse:
    """The rendered JSON answer, from the cache when a recent one is there."""
    from solidaria.core.api import api

    seconds = cache_seconds()
    key = cache_key(box, zoom, params, language) if seconds > 0 else ""
    content = cache.get(key) if key else None
    if content is None:
        content = api.renderer.render(
            request, answer(box, zoom, params, language), response_status=200
        )
        if key:
            cache.set(key, content, seconds)
    return HttpResponse(content, status=200, content_type=api.get_content_type())
