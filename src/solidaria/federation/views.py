"""Murmurations: each confirmed organisation's profile at its own URL, ready for the
Murmurations index (organizations_schema-v1.0.0, validated before it is served)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from solidaria.directory.exporters import murmurations
from solidaria.directory.models import Organisation
from solidaria.directory.taxonomy import labels


@require_GET
def murmurations_organisation(request: HttpRequest, org_id: int) -> JsonResponse:
    org = Organisation.objects.filter(pk=org_id, status=Organisation.Status.CONFIRMED).first()
    if org is None:
        raise Http404("no such organisation")
    names = labels(["activities-ica", "activities", "organisational-structure"], "en")
    profile = murmurations.profile(org, tag_labels=names)
    problems = murmurations.errors(profile)
    if problems:  # never publish an invalid profile
        raise Http404(problems[0])
    response = JsonResponse(profile, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
