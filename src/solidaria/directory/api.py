"""Directory API: search, detail, propose/edit/review, map clusters.

Reads are public (`auth=None`); proposing and editing need a member's token or session;
reviewing needs a steward. A member's edit of a confirmed entry answers the entry
unchanged with its `pending_edit`; a steward confirms or rejects it
(`POST /organisations/{id}/edit-review`). Bad input answers 422 naming the field, unknown or hidden
ids 404, editing someone else's entry 403.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import get_language
from ninja import Field, Query, Router, Status

from solidaria.core.apischema import Schema
from solidaria.core.errors import PermissionDenied, ValidationFailed
from solidaria.core.permissions import is_steward
from solidaria.directory import clustering, downloads, map_answer, queries, search, services
from solidaria.directory.models import Organisation, PendingEdit

router = Router(tags=["directory"])


class OrganisationOut(Schema):
    id: int
    name: str
    description: str
    website: str
    other_websites: list[str] = []
    email: str
    phone: str
    street_address: str
    locality: str
    region: str
    postcode: str
    country: str
    latitude: float | None
    longitude: float | None
    activity: str
    ica_activity: str
    structure: str
    legal_form: str
    membership_type: str
    qualifiers: list[str]
    themes: list[str]
    tags: list[str]
    licence: str
    status: str
    url: str
    sources: list[str] = []
    source_network: str | None = Field(
        None, description="the network a federated entry comes from (null: this network's)"
    )

    @staticmethod
    def resolve_url(obj: Organisation) -> str:
        return f"/directory/organisations/{obj.pk}/"


class ChangeOut(Schema):
    field: str
    old: Any
    new: Any


class PendingEditOut(Schema):
    id: int
    organisation: int
    status: str
    proposed_at: str
    changes: list[ChangeOut]


def pending_edit_out(org: Organisation, edit: PendingEdit) -> dict[str, Any]:
    return {
        "id": edit.pk,
        "organisation": org.pk,
        "status": edit.status,
        "proposed_at": edit.updated_at.isoformat(),
        "changes": [
            {"field": k, "old": getattr(org, k), "new": v} for k, v in sorted(edit.values.items())
        ],
    }


class OrganisationDetail(OrganisationOut):
    data_issues: list[str]
    pending_edit: PendingEditOut | None = Field(
        None, description="changes waiting for a steward (shown to the proposer and stewards)"
    )

    @staticmethod
    def resolve_sources(obj: Organisation) -> list[str]:
        return [f"{p.source}:{p.source_id}" for p in obj.provenance.all()]

    @staticmethod
    def resolve_pending_edit(obj: Organisation, context: Any) -> dict[str, Any] | None:
        request = (context or {}).get("request")
        edit = queries.visible_pending_edit(getattr(request, "user", None), obj)
        return pending_edit_out(obj, edit) if edit else None


class FacetOut(Schema):
    code: str
    label: str
    count: int


class SearchOut(Schema):
    count: int = Field(
        description=(
            "organisations matching; a search with text or a bbox counts no further than "
            f"{search.COUNT_CAP:,} (then `more` is true)"
        )
    )
    more: bool = Field(
        False,
        description=(
            f"true when more than `count` organisations match: counting stopped at "
            f"{search.COUNT_CAP:,}, `pages` covers the counted ones only, the facets count "
            "the first matches only and the results come in name order"
        ),
    )
    order: Literal["rank", "name"] = Field(
        "name",
        description=(
            "rank: best match first (a text search whose matches were all counted); "
            "name: in name order"
        ),
    )
    page: int
    pages: int
    page_size: int
    results: list[OrganisationOut]
    facets: dict[str, list[FacetOut]]


class SearchQuery(Schema):
    q: str = ""
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")
    activity: str = ""
    structure: str = ""
    country: str = ""
    federated: Literal["include", "exclude", "only"] = Field(
        "include", description="entries aggregated from other networks"
    )
    page: int = Field(1, ge=1)
    page_size: int = Field(search.PAGE_SIZE, ge=1, le=search.MAX_PAGE_SIZE)


class OrganisationIn(Schema):
    limits_from = (Organisation,)
    # A country may be given by name ("United Kingdom"): the service stores its code.
    columns = {"country": (Organisation, "name")}

    name: str = Field(..., min_length=1, max_length=300)
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    street_address: str = ""
    locality: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    activity: str = ""
    ica_activity: str = ""
    structure: str = ""
    legal_form: str = ""
    membership_type: str = ""
    qualifiers: list[str] = []
    themes: list[str] = []


class OrganisationPatch(Schema):
    limits_from = (Organisation,)
    # A country may be given by name ("United Kingdom"): the service stores its code.
    columns = {"country": (Organisation, "name")}

    name: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    activity: str | None = None
    ica_activity: str | None = None
    structure: str | None = None
    legal_form: str | None = None
    membership_type: str | None = None
    qualifiers: list[str] | None = None
    themes: list[str] | None = None


class OrganisationReviewIn(Schema):
    decision: Literal["confirm", "reject", "archive"]
    reason: str = ""


class EditReviewIn(Schema):
    decision: Literal["confirm", "reject"]
    reason: str = Field("", max_length=500)


class ClusterOut(Schema):
    lat: float
    lon: float
    count: int
    id: int | None
    name: str | None = Field(None, description="the organisation's name (single points)")
    type: str | None = Field(
        None, description="its organisational structure or activity, in the request's language"
    )
    url: str | None = Field(None, description="its page (single points)")


class ClustersOut(Schema):
    zoom: int
    total: int = Field(description="organisations on the map in the bbox, with the filters")
    clusters: list[ClusterOut]


class ClustersQuery(Schema):
    bbox: str = Field(..., description="minlon,minlat,maxlon,maxlat")
    zoom: int = Field(..., ge=0, le=22)
    q: str = ""
    activity: str = ""
    structure: str = ""
    country: str = ""
    federated: Literal["include", "exclude", "only"] = "include"


@router.get("/organisations", response=SearchOut, auth=None, summary="Search the directory")
def list_organisations(request: HttpRequest, filters: Query[SearchQuery]) -> dict[str, Any]:
    params = search.SearchParams(
        q=filters.q,
        bbox=search.parse_bbox(filters.bbox),
        activity=filters.activity.strip(),
        structure=filters.structure.strip(),
        country=filters.country.strip(),
        federated=filters.federated,
        page=filters.page,
        page_size=filters.page_size,
    )
    result = search.search(params, language=get_language())
    return {
        "count": result.total,
        "more": result.more,
        "order": result.order,
        "page": result.page,
        "pages": result.pages,
        "page_size": result.page_size,
        "results": result.results,
        "facets": {k: [vars(v) for v in values] for k, values in result.facets.items()},
    }


@router.get(
    "/organisations/{org_id}", response=OrganisationDetail, auth=None, summary="One organisation"
)
def get_organisation(request: HttpRequest, org_id: int) -> Organisation:
    return queries.visible_organisation(request.user, org_id)


@router.post(
    "/organisations", response={201: OrganisationDetail}, summary="Propose an organisation"
)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status:
    return Status(201, services.organisation_create(actor=request.user, data=payload.dict()))


@router.patch(
    "/organisations/{org_id}", response=OrganisationDetail, summary="Edit an organisation"
)
def update_organisation(
    request: HttpRequest, org_id: int, payload: OrganisationPatch
) -> Organisation:
    data = payload.dict(exclude_unset=True)
    return services.organisation_update(actor=request.user, org_id=org_id, data=data)


@router.post(
    "/organisations/{org_id}/review",
    response=OrganisationDetail,
    summary="Confirm, reject or archive (stewards)",
)
def review_organisation(
    request: HttpRequest, org_id: int, payload: OrganisationReviewIn
) -> Organisation:
    return services.organisation_review(
        actor=request.user, org_id=org_id, decision=payload.decision, reason=payload.reason
    )


@router.post(
    "/organisations/{org_id}/edit-review",
    response=OrganisationDetail,
    summary="Confirm or reject the pending edit of an organisation (stewards)",
)
def review_pending_edit(request: HttpRequest, org_id: int, payload: EditReviewIn) -> Organisation:
    return services.pending_edit_review(
        actor=request.user, org_id=org_id, decision=payload.decision, reason=payload.reason
    )


@router.get(
    "/pending-edits", response=list[PendingEditOut], summary="Edits waiting for review (stewards)"
)
def list_pending_edits(request: HttpRequest) -> list[dict[str, Any]]:
    if not is_steward(request.user):
        raise PermissionDenied("only stewards review edits")
    return [pending_edit_out(edit.organisation, edit) for edit in queries.pending_edits()]


class DownloadError(Schema):
    detail: str


DownloadFormat = Literal["csv", "geojson", "essglobal-jsonld", "essglobal-ttl", "murmurations"]


@router.get(
    "/downloads/{fmt}",
    auth=None,
    response={200: None, 404: DownloadError, 422: DownloadError},
    summary="The directory as open data: the file `solidaria export directory` writes",
    description="Confirmed entries whose licence allows redistribution; each carries its "
    "licence. Licences and attribution: /directory/downloads/. CSV text cells that "
    "start with = + - @ begin with an apostrophe.",
)
def download_directory(request: HttpRequest, fmt: DownloadFormat) -> FileResponse:
    return downloads.file_response(fmt)


@router.get(
    "/clusters",
    response=ClustersOut,
    auth=None,
    summary="Map clusters in a bbox, with the search's filters (q, country, activity, structure)",
)
def get_clusters(request: HttpRequest, filters: Query[ClustersQuery]) -> HttpResponse:
    # the ClustersOut JSON, built and briefly cached by map_answer (the world view at
    # 100k+ organisations is tens of thousands of clusters: see that module)
    box = parse_map_bbox(filters.bbox)
    params = search.filter_params(filters.dict())
    return map_answer.response(request, box, filters.zoom, params, get_language())


def parse_map_bbox(text: str) -> clustering.BBox:
    """Like the search bbox, but a map may pan past the date line or the poles: values
    are clamped to the world instead of refused (malformed input is still 422)."""
    min_lon, min_lat, max_lon, max_lat = search.bbox_numbers(text)
    if not (min_lon <= max_lon and min_lat <= max_lat):
        raise ValidationFailed("bbox minimum above maximum", field="bbox")
    return clustering.BBox(
        max(-180.0, min_lon), max(-90.0, min_lat), min(180.0, max_lon), min(90.0, max_lat)
    )


# The operators' routes live in their own module, on this router.
from solidaria.directory import operator_api  # noqa: E402, F401
