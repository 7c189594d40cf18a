"""The index's rules: post, process (fetch + validate), status, delete, search.

Each public function returns `(http_status, body)` with the protocol's JSON shapes (the
Murmurations index's own bodies, not our API envelopes); views only parse and answer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cos, Power, Radians, Sin
from django.utils import timezone

from solidaria.murmurations import fetching, library
from solidaria.murmurations.library import Error, error
from solidaria.murmurations.models import Node, NodeSchema, NodeTag, Term

Body = dict[str, Any]
NODE_ID = re.compile(r"^[0-9a-f]{64}$")
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 500
MAX_RESULTS = 10_000
MAX_TAGS = 100
MAX_TAG_LENGTH = 100
MAX_PARAM_LENGTH = 200
# how many distinct stored values a fuzzy match compares with, at most
FUZZY_CANDIDATES = 100_000
SEARCH_PARAMETERS = (
    "schema",
    "last_updated",
    "lat",
    "lon",
    "range",
    "locality",
    "region",
    "country",
    "status",
    "tags",
    "tags_filter",
    "tags_exact",
    "primary_url",
    "name",
    "page",
    "page_size",
    "expires",
)
VALIDATED_MESSAGE = "The submitted profile was validated successfully to its linked schemas."


def node_id_for(profile_url: str) -> str:
    """The protocol's node id: the SHA-256 hex digest of the profile URL as posted."""
    return hashlib.sha256(profile_url.encode("utf-8")).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


def _not_found(node_id: str) -> tuple[int, Body]:
    shown = node_id[:100]
    return 404, {
        "meta": {"node_id": shown},
        "errors": [
            error(
                404,
                "Node Not Found",
                f"Could not locate the following node_id in the Index: {shown}",
            )
        ],
    }


# ---------------------------------------------------------------- post and process


def post_node(profile_url: str) -> tuple[int, Body]:
    """Record the node as `received` and queue its fetch (after commit)."""
    from solidaria.murmurations import tasks

    with transaction.atomic():
        node_id = _receive(profile_url)
        transaction.on_commit(lambda: tasks.process_node.enqueue(node_id))
    return 200, {"data": {"node_id": node_id}}


def _receive(profile_url: str) -> str:
    """The node of this URL, (back) to `received`; its id. A node the purge removed while
    this ran (the update found no row) is made again: the new post wins."""
    node_id = node_id_for(profile_url)
    node, created = Node.objects.get_or_create(
        node_id=node_id, defaults={"profile_url": profile_url}
    )
    if not created:
        reset = Node.objects.filter(pk=node.pk).update(
            status=Node.Status.RECEIVED, failure_reasons=[]
        )
        if not reset:  # another post racing this one may make it first: then that one is it
            Node.objects.get_or_create(node_id=node_id, defaults={"profile_url": profile_url})
    return node_id


def post_node_sync(profile_url: str) -> tuple[int, Body]:
    """POST /v2/nodes-sync: the same, fetched and validated before answering."""
    with transaction.atomic():
        node_id = _receive(profile_url)
    process(node_id)
    return status(node_id)


def _profile_not_found(url: str) -> Error:
    return error(
        404,
        "Profile Not Found",
        f"Could not find or read from (invalid JSON) the profile_url: {url}",
    )


def _request_failed(url: str, reason: str) -> Error:
    return error(400, "HTTP Request Failed", f"Error making HTTP request to {url}: {reason}")


def _fetch_problem(url: str, exc: fetching.FetchError) -> Error:
    if exc.redirect:
        return error(400, "No Redirects", exc.reason)
    return _request_failed(url, exc.reason)


def canonical_hash(profile: Any) -> str:
    text = json.dumps(profile, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fetch_profile(url: str) -> tuple[Any, list[Error]]:
    """(profile, []) or (None, the reasons it could not be read)."""
    try:
        response = fetching.current()(url)
    except fetching.FetchError as exc:
        return None, [_fetch_problem(url, exc)]
    if response.status != 200:
        return None, [_profile_not_found(url)]
    try:
        return json.loads(response.body.decode("utf-8")), []
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, [_profile_not_found(url)]


def process(node_id: str) -> str:
    """Fetch and validate a received node: `validated` then `posted`, or `validation_failed`.

    An unchanged profile (same canonical hash as when last posted) keeps its
    `last_updated`, so aggregators polling with `last_updated` do not fetch it again.
    """
    node = Node.objects.filter(node_id=node_id).first()
    if node is None:
        return "missing"
    url = node.profile_url
    profile, problems = fetch_profile(url)
    if not problems:
        problems = library.validate(profile)
    with transaction.atomic():
        locked = Node.objects.select_for_update().filter(pk=node.pk).first()
        if locked is None:  # deleted while its profile was being fetched
            return "missing"
        node = locked
        node.fetched_at = timezone.now()
        if problems:
            node.status = Node.Status.VALIDATION_FAILED
            node.failure_reasons = problems[:100]
            node.save(update_fields=["status", "failure_reasons", "fetched_at"])
            return node.status
        digest = canonical_hash(profile)
        unchanged = node.profile_hash == digest and node.last_updated is not None
        node.status = Node.Status.VALIDATED
        node.failure_reasons = []
        node.profile = profile
        node.profile_hash = digest
        if not unchanged:
            node.last_updated = now_ms()
        node.save()
        _index(node, profile)
        node.status = Node.Status.POSTED
        node.was_posted = True
        node.save(update_fields=["status", "was_posted"])
    return node.status


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def url_key(url: str) -> str:
    """A primary URL compared loosely: no scheme, no `www.`, no trailing slash, lower case."""
    key = url.strip().lower()
    key = re.sub(r"^[a-z]+://", "", key)
    key = key.removeprefix("www.").rstrip("/")
    return key[:255]


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _index(node: Node, profile: Mapping[str, Any]) -> None:
    """Copy the searchable fields of a valid profile into columns and rows."""
    node.name = _text(profile.get("name"), 200)
    node.name_key = node.name.lower()
    node.primary_url = _text(profile.get("primary_url"), 2000)
    node.primary_url_key = url_key(node.primary_url)
    country = _text(profile.get("country_iso_3166") or profile.get("country"), 2)
    node.country = country.upper() if len(country) == 2 else ""
    node.locality = _text(profile.get("locality"), 100)
    node.locality_key = node.locality.lower()
    node.region = _text(profile.get("region"), 100)
    node.region_key = node.region.lower()
    geo = profile.get("geolocation")
    lat = lon = None
    if isinstance(geo, dict):
        lat, lon = _coordinate(geo.get("lat"), 90), _coordinate(geo.get("lon"), 180)
    if lat is None or lon is None:
        lat = _coordinate(profile.get("latitude"), 90)
        lon = _coordinate(profile.get("longitude"), 180)
    node.lat, node.lon = (lat, lon) if lat is not None and lon is not None else (None, None)
    raw_tags = profile.get("tags")
    tags = (
        [t.strip()[:MAX_TAG_LENGTH] for t in raw_tags if isinstance(t, str) and t.strip()][
            :MAX_TAGS
        ]
        if isinstance(raw_tags, list)
        else []
    )
    node.tags = list(dict.fromkeys(tags))
    raw_schemas = profile.get("linked_schemas")
    schemas = (
        [s[:100] for s in raw_schemas if isinstance(s, str)]
        if isinstance(raw_schemas, list)
        else []
    )
    node.linked_schemas = list(dict.fromkeys(schemas))
    node.save()
    NodeTag.objects.filter(node=node).delete()
    NodeSchema.objects.filter(node=node).delete()
    NodeTag.objects.bulk_create(
        NodeTag(node=node, tag=t) for t in dict.fromkeys(t.lower() for t in node.tags)
    )
    NodeSchema.objects.bulk_create(
        NodeSchema(node=node, schema=s)
        for s in dict.fromkeys(s.lower() for s in node.linked_schemas)
    )
    words = [("tag", t.lower()) for t in node.tags]
    words += [
        (kind, value)
        for kind, value in (("locality", node.locality_key), ("region", node.region_key))
        if value
    ]
    Term.objects.bulk_create(
        (Term(kind=kind, term=word, length=len(word)) for kind, word in dict.fromkeys(words)),
        ignore_conflicts=True,
    )


# ---------------------------------------------------------------- status and delete


def status(node_id: str) -> tuple[int, Body]:
    node = Node.objects.filter(node_id=node_id).first() if NODE_ID.match(node_id) else None
    if node is None:
        return _not_found(node_id)
    if node.status == Node.Status.VALIDATION_FAILED:
        reasons = node.failure_reasons or [_profile_not_found(node.profile_url)]
        meta = {"node_id": node.node_id, "profile_url": node.profile_url, "status": node.status}
        return library.status_of(reasons), {"meta": meta, "errors": reasons}
    data: Body = {"node_id": node.node_id, "profile_url": node.profile_url, "status": node.status}
    if node.status != Node.Status.RECEIVED or node.was_posted:
        if node.last_updated is not None:
            data["last_updated"] = node.last_updated
        if node.profile_hash:
            data["profile_hash"] = node.profile_hash
    return 200, {"data": data}


def delete(node_id: str) -> tuple[int, Body]:
    """Mark the node deleted, only once its profile URL answers 404 or 410.

    A node that was never posted is removed outright; a posted one stays, `deleted`, with
    a new `last_updated`, so aggregators learn of the deletion.
    """
    node = Node.objects.filter(node_id=node_id).first() if NODE_ID.match(node_id) else None
    if node is None:
        return _not_found(node_id)
    url = node.profile_url
    meta = {"node_id": node.node_id, "profile_url": url}
    message = f"The index has recorded as deleted the profile that was previously posted at: {url}"
    if node.status == Node.Status.DELETED:
        return 200, {"meta": {"message": message}}
    try:
        response = fetching.current()(url)
    except fetching.FetchError as exc:
        return 400, {"meta": meta, "errors": [_fetch_problem(url, exc)]}
    if response.status not in (404, 410):
        if 200 <= response.status < 300:
            problem = error(
                400,
                "Profile Still Exists",
                "The profile could not be deleted from the index because it still exists "
                f"at the profile_url: {url}",
            )
        else:
            problem = _request_failed(url, f"the server answered {response.status}.")
        return 400, {"meta": meta, "errors": [problem]}
    with transaction.atomic():
        locked = Node.objects.select_for_update().filter(pk=node.pk).first()
        if locked is None:
            return 200, {"meta": {"message": message}}
        if not locked.was_posted:
            locked.delete()
        else:
            locked.status = Node.Status.DELETED
            locked.last_updated = now_ms()
            locked.profile_hash = ""
            locked.failure_reasons = []
            locked.save(update_fields=["status", "last_updated", "profile_hash", "failure_reasons"])
    return 200, {"meta": {"message": message}}


# ---------------------------------------------------------------- search


class BadQuery(Exception):
    def __init__(self, errors: list[Error]) -> None:
        super().__init__(errors)
        self.errors = errors


def _query_error(parameter: str, title: str, detail: str) -> Error:
    return {"status": 400, "source": {"parameter": parameter}, "title": title, "detail": detail}


def _invalid(parameter: str, why: str) -> BadQuery:
    return BadQuery(
        [
            _query_error(
                parameter,
                "Invalid Query Parameter",
                f"The following query parameter is not valid: {parameter}. {why}",
            )
        ]
    )


def _int(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?[0-9]{1,15}", raw):
        raise _invalid(name, "It must be a whole number.")
    value = int(raw)
    if not low <= value <= high:
        raise _invalid(name, f"It must be between {low} and {high}.")
    return value


def _float(params: Mapping[str, str], name: str, bound: float) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?[0-9]{1,4}(\.[0-9]{1,15})?", raw):
        raise _invalid(name, "It must be a decimal number.")
    value = float(raw)
    if not -bound <= value <= bound:
        raise _invalid(name, f"It must be between {-bound:g} and {bound:g}.")
    return value


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (a swap of neighbours counts once), capped at
    `limit + 1` so long strings are cut short."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def fuzziness(term: str) -> int:
    """Edits a fuzzy match allows: none up to 2 letters, one up to 4, two beyond."""
    return 0 if len(term) <= 2 else 1 if len(term) <= 4 else 2


def fuzzy_matches(term: str, candidates: Iterable[str]) -> set[str]:
    allowed = fuzziness(term)
    letters = set(term)
    # an edit changes the set of letters by at most two: a cheap filter before the distance
    return {
        c
        for c in candidates
        if c == term
        or (len(letters ^ set(c)) <= 2 * allowed and distance(term, c, allowed) <= allowed)
    }


def _candidates(kind: str, term: str) -> list[str]:
    """The known terms of `kind` whose length is within the fuzziness of `term`'s."""
    slack = fuzziness(term)
    return list(
        Term.objects.filter(
            kind=kind, length__gte=len(term) - slack, length__lte=len(term) + slack
        ).values_list("term", flat=True)[:FUZZY_CANDIDATES]
    )


def _clean(params: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(k for k in params if k not in SEARCH_PARAMETERS)
    if unknown:
        raise BadQuery(
            [
                _query_error(
                    k[:100],
                    "Invalid Query Parameter",
                    f"The following query parameter is not valid: {k[:100]}",
                )
                for k in unknown[:20]
            ]
        )
    out: dict[str, str] = {}
    for key, value in params.items():
        limit = MAX_TAGS * (MAX_TAG_LENGTH + 1) if key == "tags" else MAX_PARAM_LENGTH
        if len(value) > limit:
            raise _invalid(key, f"It is longer than {limit} characters.")
        if any(ord(c) < 32 for c in value):
            raise _invalid(key, "It contains control characters.")
        out[key] = value.strip()
    return out


def _filter(params: dict[str, str]) -> QuerySet[Node]:
    status_value = params.get("status") or Node.Status.POSTED
    if status_value not in (Node.Status.POSTED, Node.Status.DELETED):
        raise _invalid("status", "It must be posted or deleted.")
    nodes = Node.objects.filter(status=status_value)
    if schema := params.get("schema", "").lower():
        nodes = nodes.filter(
            pk__in=NodeSchema.objects.filter(schema__startswith=schema).values("node_id")
        )
    since = _int(params, "last_updated", 0, 10**11)
    if since is not None:
        nodes = nodes.filter(last_updated__gte=since * 1000)
    _int(params, "expires", 0, 10**11)  # accepted, not used: the index keeps no expiry
    if country := params.get("country", "").upper():
        nodes = nodes.filter(country=country)
    for name, column in (("locality", "locality_key"), ("region", "region_key")):
        term = params.get(name, "").lower()
        if term:
            matches = fuzzy_matches(term, _candidates(name, term))
            nodes = nodes.filter(**{f"{column}__in": sorted(matches)[:1000]})
    if primary := params.get("primary_url"):
        nodes = nodes.filter(primary_url_key=url_key(primary))
    if name := params.get("name", "").lower():
        nodes = nodes.filter(name_key__contains=name)
    nodes = _filter_tags(nodes, params, status_value)
    return _filter_geo(nodes, params)


def _filter_tags(
    nodes: QuerySet[Node], params: dict[str, str], status_value: str
) -> QuerySet[Node]:
    tags_filter = params.get("tags_filter", "or").lower() or "or"
    if tags_filter not in ("and", "or"):
        raise _invalid("tags_filter", "It must be and or or.")
    exact_raw = params.get("tags_exact", "false").lower() or "false"
    if exact_raw not in ("true", "false"):
        raise _invalid("tags_exact", "It must be true or false.")
    raw = params.get("tags", "")
    if not raw:
        return nodes
    terms = list(dict.fromkeys(t.strip().lower() for t in raw.split(",") if t.strip()))
    if len(terms) > MAX_TAGS:
        raise _invalid("tags", f"At most {MAX_TAGS} tags may be given.")
    if any(len(t) > MAX_TAG_LENGTH for t in terms):
        raise _invalid("tags", f"A tag has at most {MAX_TAG_LENGTH} characters.")
    groups: list[set[str]] = []
    for term in terms:
        if exact_raw == "true":
            groups.append({term})
        else:
            groups.append(fuzzy_matches(term, _candidates("tag", term)))
    if tags_filter == "or":
        union = sorted(set().union(*groups))[:5000]
        return nodes.filter(pk__in=NodeTag.objects.filter(tag__in=union).values("node_id"))
    for group in groups:
        nodes = nodes.filter(
            pk__in=NodeTag.objects.filter(tag__in=sorted(group)[:5000]).values("node_id")
        )
    return nodes


def _filter_geo(nodes: QuerySet[Node], params: dict[str, str]) -> QuerySet[Node]:
    lat = _float(params, "lat", 90)
    lon = _float(params, "lon", 180)
    raw_range = params.get("range", "")
    given = [
        n for n, v in (("lat", lat), ("lon", lon), ("range", raw_range or None)) if v is not None
    ]
    if not given:
        return nodes
    if len(given) != 3:
        missing = next(n for n in ("lat", "lon", "range") if n not in given)
        raise _invalid(missing, "lat, lon and range go together.")
    assert lat is not None and lon is not None
    found = re.fullmatch(r"([0-9]{1,5}(?:\.[0-9]{1,6})?)\s*(km|mi)", raw_range.lower())
    if not found:
        raise _invalid("range", 'It must be a distance such as "25km" or "15mi".')
    km = float(found.group(1)) * (KM_PER_MILE if found.group(2) == "mi" else 1.0)
    if km > 20_100:
        raise _invalid("range", "It must be at most 20,100 km.")
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    nodes = nodes.filter(lat__isnull=False, lat__gte=lat - dlat, lat__lte=lat + dlat)
    cos_lat = math.cos(math.radians(lat))
    if abs(lat) + dlat < 89 and cos_lat > 0:
        dlon = min(180.0, dlat / cos_lat)
        if dlon < 180 and lon - dlon >= -180 and lon + dlon <= 180:
            nodes = nodes.filter(lon__gte=lon - dlon, lon__lte=lon + dlon)
    # haversine: hav(d/R) = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2); compare without asin
    hav = Power(Sin((Radians(F("lat")) - math.radians(lat)) / 2), 2) + Cos(
        Radians(F("lat"))
    ) * cos_lat * Power(Sin((Radians(F("lon")) - math.radians(lon)) / 2), 2)
    limit = math.sin(min(math.pi / 2, km / (2 * EARTH_RADIUS_KM))) ** 2
    return nodes.alias(_hav=_float_expr(hav)).filter(_hav__lte=limit)


def _float_expr(expression: Any) -> Any:
    from django.db.models import ExpressionWrapper

    return ExpressionWrapper(expression, output_field=FloatField())


def _item(node: Node) -> Body:
    item: Body = {"profile_url": node.profile_url, "last_updated": node.last_updated or 0}
    if node.name:
        item["name"] = node.name
    if node.primary_url:
        item["primary_url"] = node.primary_url
    if node.lat is not None and node.lon is not None:
        item["geolocation"] = {"lat": node.lat, "lon": node.lon}
    for key in ("locality", "region", "country"):
        if value := getattr(node, key):
            item[key] = value
    item["status"] = node.status
    if node.tags:
        item["tags"] = node.tags
    item["linked_schemas"] = node.linked_schemas
    return item


def search(params: Mapping[str, str], self_url: str) -> tuple[int, Body]:
    """GET /v2/nodes: the posted (or deleted) nodes matching every filter, newest first."""
    try:
        clean = _clean(params)
        page = _int(clean, "page", 1, MAX_RESULTS) or 1
        page_size = _int(clean, "page_size", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        if page * page_size > MAX_RESULTS:
            raise BadQuery(
                [
                    error(
                        400,
                        "Max Results Exceeded",
                        "No more than 10,000 results can be returned. Refine your query so it "
                        "will return less but more relevant results.",
                    )
                ]
            )
        nodes = _filter(clean)
    except BadQuery as exc:
        return 400, {"errors": exc.errors}
    total = nodes.count()
    rows = list(
        nodes.order_by("-last_updated", "node_id")[(page - 1) * page_size : page * page_size]
    )
    pages = math.ceil(min(total, MAX_RESULTS) / page_size) if total else 0

    def link(number: int) -> str:
        query = {k: v for k, v in clean.items() if k != "page"}
        query["page"] = str(number)
        return f"{self_url}?{urlencode(query)}"

    links: Body = {"self": link(page)}
    if pages:
        links["first"] = link(1)
        links["last"] = link(pages)
        if page > 1:
            links["prev"] = link(min(page - 1, pages))
        if page < pages:
            links["next"] = link(page + 1)
    return 200, {
        "data": [_item(n) for n in rows],
        "links": links,
        "meta": {"number_of_results": total, "total_pages": pages},
    }


def validate(profile: Any) -> tuple[int, Body]:
    """POST /v2/validate: the profile's errors, or the protocol's success message."""
    problems = library.validate(profile)
    if problems:
        return library.status_of(problems), {"errors": problems}
    return 200, {"meta": {"message": VALIDATED_MESSAGE}}
