"""Turn a refusal that escapes a view into the right page.

Services raise `core.errors.PermissionDenied` / `NotFound` with a sentence. A view catches
only the errors a person can correct on the form (`core.errors.CORRECTABLE`); a refusal
reaches this middleware and becomes the site's 403 or 404 page, with the reason shown,
so every denied path of the web answers 403/404 like the API does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from solidaria.core.errors import NotFound, PermissionDenied
from solidaria.core.visibility import MembersOnly


class DomainRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if isinstance(exception, MembersOnly):
            # a members-only process, poll, run or co-op: a visitor logs in (the login
            # page says why); a logged-in applicant is told why they cannot read it
            if not request.user.is_authenticated:
                messages.info(request, exception.message)
                return redirect_to_login(request.get_full_path())
            return render(request, "403.html", {"exception": exception.message}, status=403)
        if isinstance(exception, PermissionDenied):
            return render(request, "403.html", {"exception": exception.message}, status=403)
        if isinstance(exception, NotFound):
            return render(request, "404.html", {"exception": exception.message}, status=404)
        return None
