"""Directory pages: thin, they parse input, call a query or service and render."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE, NotFound, PermissionDenied, show_on_form
from solidaria.core.permissions import allowed, is_steward, steward_required
from solidaria.directory import operators, page, queries, search, services
from solidaria.directory.forms import (
    ClaimDecisionForm,
    ClaimForm,
    EditReviewForm,
    ImportForm,
    OperatorEndForm,
    OrganisationForm,
    PublishForm,
    ReviewForm,
)
from solidaria.directory.importers.pipeline import run_import
from solidaria.directory.services import EDITABLE_FIELDS
from solidaria.directory.taxonomy import labels as concept_labels


def _facet_links(
    request: HttpRequest, result: search.SearchResult
) -> dict[str, list[dict[str, object]]]:
    base = {k: v for k, v in request.GET.items() if k != "page" and v}
    links: dict[str, list[dict[str, object]]] = {}
    for facet, values in result.facets.items():
        items = []
        for value in values:
            params = dict(base)
            selected = params.get(facet) == value.code
            if selected:
                params.pop(facet)
            else:
                params[facet] = value.code
            items.append({"value": value, "selected": selected, "url": "?" + urlencode(params)})
        links[facet] = items
    return links


def page_numbers(page: int, pages: int, around: int = 1) -> list[int | None]:
    """The page links to show: the first, the last and `around` either side of the current
    page; None where pages are left out (`1 … 4 5 6 … 20`)."""
    shown = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    numbers: list[int | None] = []
    for number in sorted(shown):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(number - 1 if number - (numbers[-1] or 0) == 2 else None)
        numbers.append(number)
    return numbers


def _pagination(query: dict[str, str], result: search.SearchResult | None) -> dict[str, object]:
    """Numbered page links with previous and next, each keeping the search's filters."""
    if result is None or result.pages <= 1:
        return {"pages": [], "prev_url": "", "next_url": ""}

    def url(number: int) -> str:
        return "?" + urlencode({**query, "page": number} if number > 1 else query)

    page = result.page
    return {
        "pages": [
            {"number": n, "url": url(n) if n else "", "current": n == page}
            for n in page_numbers(min(page, result.pages), result.pages)
        ],
        "prev_url": url(min(page - 1, result.pages)) if page > 1 else "",
        "next_url": url(page + 1) if page < result.pages else "",
    }


FILTER_SCHEMES = {
    "country": ("countries-iso",),
    "activity": ("activities-ica", "activities"),
    "structure": ("organisational-structure",),
}


def _active_filters(query: dict[str, str]) -> list[dict[str, str]]:
    """Each filter of the search, its value in words and the link that removes it."""
    labels = {
        "q": _("Search"),
        "country": _("Country"),
        "activity": _("Activity"),
        "structure": _("Structure"),
        "bbox": _("Area"),
        "federated": _("Entries from other networks"),
    }
    federated = {"exclude": _("left out"), "only": _("only these")}
    names = concept_labels(
        ["activities-ica", "activities", "organisational-structure", "countries-iso"],
        get_language(),
    )
    found = []
    for key, label in labels.items():
        value = query.get(key, "")
        if not value or (key == "federated" and value not in federated):
            continue
        code = value.upper() if key == "country" else value
        shown = next(
            (names[(s, code)] for s in FILTER_SCHEMES.get(key, ()) if (s, code) in names), value
        )
        if key == "federated":
            shown = federated[value]
        rest = urlencode({k: v for k, v in query.items() if k != key})
        found.append({"key": key, "label": label, "value": shown, "url": "?" + rest})
    return found


def organisation_list(request: HttpRequest) -> HttpResponse:
    error = ""
    result = None
    try:
        params = search.as_params(request.GET)
        result = search.search(params, language=get_language())
    except CORRECTABLE as exc:
        error = exc.message
        params = search.SearchParams()
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    filters = _active_filters(query)
    context = {
        "params": params,
        "result": result,
        "error": error,
        "facet_links": _facet_links(request, result) if result else {},
        **_pagination(query, result),
        "active_filters": filters,
        "filter_count": sum(1 for f in filters if f["key"] != "q"),
        "query_string": urlencode(query),
        "map_query": urlencode({k: v for k, v in query.items() if k in search.FILTERS}),
        "activity_choices": queries.choices("activities-ica", get_language()),
        "structure_choices": queries.choices("organisational-structure", get_language()),
        "sources": queries.SOURCES,
        "vocabulary": queries.VOCABULARY_ATTRIBUTION,
    }
    template = "directory/_results.html" if request.htmx else "directory/list.html"
    return render(request, template, context, status=422 if error else 200)


def organisation_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    try:
        org = queries.visible_organisation(request.user, org_id)
    except NotFound:
        raise Http404 from None
    pending = queries.visible_pending_edit(request.user, org)
    return render(
        request,
        "directory/detail.html",
        {
            "org": org,
            "classifications": queries.classification_labels(org, get_language()),
            "sources": queries.sources_of(org),
            "can_edit": services.can_edit(request.user, org),
            "review_form": ReviewForm(),
            "pending_edit": pending,
            "pending_diff": queries.edit_diff(org, pending) if pending else [],
            "rejected_edit": queries.last_rejected_edit(request.user, org),
            "edit_review_form": EditReviewForm(),
            **_who_runs_it(request, org),
            **_tiles(),
        },
    )


def _who_runs_it(request: HttpRequest, org: Any) -> dict[str, Any]:
    """The operators, claims and published sections of an organisation's page."""
    user = request.user
    is_confirmed = org.status == org.Status.CONFIRMED
    coop = page.coop_of(org)
    return {
        "operators": operators.operators_of(org),
        "my_claim": operators.open_claim(user, org),
        "may_claim": is_confirmed and allowed(user, "directory.operator.claim"),
        "claims": operators.pending_claims().filter(organisation=org) if is_steward(user) else [],
        "may_publish": allowed(user, "directory.organisation.publish", org),
        "claim_form": ClaimForm(),
        "claim_decision_form": ClaimDecisionForm(),
        "end_form": OperatorEndForm(),
        "publish_form": PublishForm(
            initial={
                "shows_coop_facts": org.shows_coop_facts,
                "shows_listings": org.shows_listings,
            }
        ),
        "coop_facts": page.coop_facts(user, org),
        "coop": coop,
        "may_found_coop": coop is None
        and is_confirmed
        and allowed(user, "governance.coop.found", org),
        "may_set_up_coop": coop is not None and allowed(user, "governance.coop.steward", coop),
        "listings": page.listings_of(org),
    }


def _tiles() -> dict[str, str]:
    return {
        "tile_url": settings.SOLIDARIA_MAP_TILE_URL,
        "tile_attribution": settings.SOLIDARIA_MAP_TILE_ATTRIBUTION,
    }


def map_page(request: HttpRequest) -> HttpResponse:
    """The map of the search: the same filters as the list (q, country, activity,
    structure), applied to the clusters the map's script asks for."""
    error = ""
    try:
        params = search.filter_params(request.GET)
    except CORRECTABLE as exc:
        error = exc.message
        params = search.SearchParams()
    query = {k: request.GET[k] for k in search.FILTERS if request.GET.get(k) and not error}
    return render(
        request,
        "directory/map.html",
        {
            "params": params,
            "error": error,
            "map_query": urlencode(query),
            "active_filters": _active_filters(query),
            "activity_choices": queries.choices("activities-ica", get_language()),
            "structure_choices": queries.choices("organisational-structure", get_language()),
            "sources": queries.SOURCES,
            "vocabulary": queries.VOCABULARY_ATTRIBUTION,
            **_tiles(),
        },
        status=422 if error else 200,
    )


def _form_data(form: OrganisationForm) -> dict[str, object]:
    return {k: form.cleaned_data.get(k) for k in EDITABLE_FIELDS if k in form.cleaned_data}


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_create(actor=request.user, data=_form_data(form))
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Thank you: a steward will review the entry."))
            return redirect("directory:detail", org_id=org.pk)
    return render(request, "directory/form.html", {"form": form, "org": None})


@login_required
def organisation_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    try:
        org = queries.visible_organisation(request.user, org_id)
    except NotFound:
        raise Http404 from None
    if not services.can_edit(request.user, org):
        raise DjangoPermissionDenied
    initial = {k: getattr(org, k) for k in EDITABLE_FIELDS}
    pending = queries.visible_pending_edit(request.user, org)
    if pending is not None and services.needs_review(request.user, org):
        initial.update(pending.values)  # the proposer goes on from their own proposal
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, org_id=org.pk, data=_form_data(form))
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            if services.needs_review(request.user, org):
                messages.success(
                    request,
                    _(
                        "Thank you: a steward will review your changes. Until then the "
                        "directory shows the confirmed entry."
                    ),
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("directory:detail", org_id=org.pk)
    return render(
        request,
        "directory/form.html",
        {"form": form, "org": org, "needs_review": services.needs_review(request.user, org)},
    )


@steward_required
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/review.html",
        {
            "proposed": queries.review_queue(),
            "claims": operators.pending_claims(),
            "form": ReviewForm(),
            "edits": [
                (edit, queries.edit_diff(edit.organisation, edit))
                for edit in queries.pending_edits()
            ],
        },
    )


def _review(request: HttpRequest, org_id: int, form: Any, decide: Any) -> bool:
    """Run one steward review (of an entry or of its pending edit); False if the form was
    not valid. A refusal or an unknown entry is left to the 403/404 pages."""
    if not form.is_valid():
        return False
    try:
        decide(
            actor=request.user,
            org_id=org_id,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Review saved."))
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    return True


@require_POST
@steward_required
def organisation_review(request: HttpRequest, org_id: int) -> HttpResponse:
    _review(request, org_id, ReviewForm(request.POST), services.organisation_review)
    return redirect("directory:detail", org_id=org_id)


@require_POST
@steward_required
def pending_edit_review(request: HttpRequest, org_id: int) -> HttpResponse:
    if not _review(request, org_id, EditReviewForm(request.POST), services.pending_edit_review):
        messages.error(request, _("Choose whether to confirm or reject the edit."))
    if request.POST.get("next") == "review":
        return redirect("directory:review")
    return redirect("directory:detail", org_id=org_id)


@steward_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Small files import inline, all or nothing unless the steward ticks "skip bad rows";
    the report shows every rejected row."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix or ".dat"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                report = run_import(
                    path=path,
                    fmt=form.cleaned_data["format"],
                    actor=request.user,
                    skip_bad_rows=form.cleaned_data["skip_bad_rows"],
                )
            except CORRECTABLE as exc:  # ImportRefused: nothing was imported
                form.add_error("file", f"{upload.name}: {exc.message}")
                report = getattr(exc, "report", None)
    return render(request, "directory/import.html", {"form": form, "report": report})
