"""Murmurations profiles this network publishes (each confirmed organisation, the
network itself, each active offer or want; every one validated before it is served),
and the stewards' federation page: registration status with retry, the queue of
aggregated entries to approve or reject, and the subscriptions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import steward_required
from solidaria.directory.models import Organisation
from solidaria.federation import aggregation, profiles, registration
from solidaria.federation.models import (
    FederatedProfile,
    Publication,
    Registration,
    Subscription,
)
from solidaria.ledger.models import Listing


def _profile_response(profile: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(profile, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def murmurations_organisation(request: HttpRequest, org_id: int) -> JsonResponse:
    if Publication.withdrawn():
        raise Http404("this network no longer publishes profiles")
    org = Organisation.objects.filter(
        pk=org_id, status=Organisation.Status.CONFIRMED, source_network__isnull=True
    ).first()
    if org is None:
        raise Http404("no such organisation")
    profile = profiles.organisation_profile(org)
    problems = profiles.profile_errors(profile)
    if problems:  # never publish an invalid profile
        raise Http404(problems[0])
    return _profile_response(profile)


@require_GET
def murmurations_network(request: HttpRequest) -> JsonResponse:
    if Publication.withdrawn():
        raise Http404("this network no longer publishes profiles")
    return _profile_response(profiles.network_profile())


@require_GET
def murmurations_listing(request: HttpRequest, listing_id: int) -> JsonResponse:
    if Publication.withdrawn():
        raise Http404("this network no longer publishes profiles")
    listing = (
        Listing.objects.select_related("owner", "currency")
        .filter(pk=listing_id, is_active=True)
        .first()
    )
    if listing is None:
        raise Http404("no such offer or want")
    return _profile_response(profiles.listing_profile(listing))


@require_GET
@steward_required
def status(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "federation/status.html",
        {
            "index_url": registration.index_url(),
            "network_url": profiles.network_url(),
            "registrations": Registration.objects.select_related(
                "organisation", "listing"
            ).order_by("status", "profile_url"),
            "queue": FederatedProfile.objects.filter(approval=FederatedProfile.Approval.PENDING)
            .select_related("organisation", "subscription")
            .order_by("fetched_at", "id"),
            "subscriptions": Subscription.objects.order_by("network_name", "id"),
        },
    )


@require_POST
@steward_required
def registration_retry(request: HttpRequest, registration_id: int) -> HttpResponse:
    if not Registration.objects.filter(pk=registration_id).exists():
        raise Http404("no such registration")
    registration.retry(actor=request.user, registration_id=registration_id)
    messages.success(request, _("The profile is being sent to the index again."))
    return redirect("federation:status")


@require_POST
@steward_required
def profile_decide(request: HttpRequest, profile_id: int) -> HttpResponse:
    try:
        aggregation.decide(
            actor=request.user,
            profile_id=profile_id,
            decision=str(request.POST.get("decision") or ""),
            reason=str(request.POST.get("reason") or ""),
        )
        messages.success(request, _("Decision saved."))
    except NotFound:
        raise Http404("no such entry") from None
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    return redirect("federation:status")
