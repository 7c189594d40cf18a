"""The public list of journal checkpoints: anyone may download and keep it."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from solidaria.ledger.checkpoints import published_list


@require_GET
def checkpoints_json(request: HttpRequest) -> JsonResponse:
    """Public, no log-in: the checkpoints carry digests and MACs, not ledger contents."""
    response = JsonResponse(published_list(), safe=False)
    response["Cache-Control"] = "public, max-age=60"
    return response
