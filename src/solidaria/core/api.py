"""The REST API under /api/. Each app contributes a django-ninja router; OpenAPI is
generated from them at /api/openapi.json and browsable at /api/docs.

Authentication: a member's API token (`Authorization: Bearer sol_...`) or the browser
session (with CSRF on unsafe methods). Routes that anyone may read say `auth=None`.
A request with neither token nor signed-in session is a 401 with a reason, never a 403
about CSRF: CSRF protects a session, and an anonymous request has none (a resident's
voting code, for one, is its own credential).
Bad input is a 4xx with a reason: schemas are bounded (`core/apischema.py`), and a
value the database still refuses (too long, out of range) is a 400, never a 500.
Unknown tokens count against the client address (`core/throttle.py`, scope "api_token"):
after the limit, every token from that address gets 429 until the lockout ends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from solidaria.accounts.models import ApiToken, hash_token
from solidaria.core import throttle
from solidaria.core.errors import DomainError, TooManyAttempts

# A token's "last used" time is kept to the minute: writing it on every request would
# add a write (and a round trip) to each API call, a payment's included.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        address = throttle.client_address(request)
        throttle.check("api_token", address)
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), is_active=True, user__is_active=True)
            .first()
        )
        if found is None:
            throttle.fail("api_token", address)
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class BrowserSession(SessionAuth):
    """The signed-in browser session, CSRF-checked. Without a signed-in user there is
    no session to protect: the next authenticator (or a 401) answers, not a CSRF 403."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


session_auth = BrowserSession()


api = NinjaAPI(
    title="Solidaria API",
    version="1",
    description="REST API of a Solidaria instance: directory, ledger, clearing, "
    "participatory budgeting and governance. Amounts are integers in minor units.",
    auth=[TokenAuth(), session_auth],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    response = api.create_response(request, body, status=exc.status_code)
    if isinstance(exc, TooManyAttempts):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def not_signed_in(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = _("Sign in, or send an API token in the Authorization header (Bearer sol_...).")
    return api.create_response(request, {"detail": detail}, status=401)


@api.exception_handler(DataError)
def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the schema let through and the database refused: the request's fault."""
    detail = _("A value is too long or out of range for what the network stores.")
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(OverflowError)
def overflow_error(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    detail = _("A number is out of range for what the network stores.")
    return api.create_response(request, {"detail": detail}, status=400)


api.add_router("/accounts/", "solidaria.accounts.api.router")
api.add_router("/directory/", "solidaria.directory.api.router")
api.add_router("/ledger/", "solidaria.ledger.api.router")
api.add_router("/clearing/", "solidaria.clearing.api.router")
api.add_router("/budgeting/", "solidaria.budgeting.api.router")
api.add_router("/governance/", "solidaria.governance.api.router")
api.add_router("/indicators/", "solidaria.indicators.api.router")
api.add_router("/discussion/", "solidaria.discussion.api.router")
