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

from django.db import DataError, IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError
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


class SolidariaAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return _document_refusals(super().get_openapi_schema(*args, **kwargs))


api = SolidariaAPI(
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


def _where(loc: Any) -> str:
    """A pydantic location as a field name: ("body", "payload", "name") -> "name"."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with one sentence in `detail` (the first problem), the field it is about, and
    every problem in `errors`: the same shape as a DomainError's answer."""
    errors = [
        {"field": _where(e.get("loc", ())), "problem": str(e.get("msg", ""))} for e in exc.errors
    ]
    first = errors[0] if errors else {"field": "", "problem": ""}
    detail = _("%(field)s is not valid: %(problem)s.") % {
        "field": first["field"] or _("the request"),
        "problem": first["problem"].rstrip("."),
    }
    body = {"detail": detail, "field": first["field"] or None, "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(DataError)
def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the schema let through and the database refused: the request's fault."""
    detail = _("A value is too long or out of range for what the network stores.")
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(IntegrityError)
def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    """A write the database's own rules refused (a check or a unique constraint)."""
    detail = _("The network's rules refuse this change: it conflicts with what is stored.")
    return api.create_response(request, {"detail": detail}, status=409)


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


class ApiError(Schema):
    """Every refusal: one sentence, the field it is about, and for a 422 every problem."""

    detail: str
    field: str | None = None
    errors: list[dict[str, str]] | None = None


REFUSAL_REASONS = {
    400: "a value the network cannot store",
    401: "no API token or signed-in session",
    403: "not allowed for this caller",
    404: "nothing by that id or code",
    409: "conflicts with the current state",
    422: "invalid input: detail names the field",
    429: "too many attempts: see Retry-After",
}


def _document_refusals(schema: dict[str, Any]) -> dict[str, Any]:
    """Each operation documents the 4xx it can answer, with the error body: 400 (a value
    the database refuses), 401/403/429 when it needs a caller, 404 when it names
    something in its path, 409 when it writes, 422 when it reads input. A code an operation documents itself keeps
    its own body. Done on the OpenAPI document only: ninja picks the status of a plain
    return value from the declared responses, which must not change."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ApiError", ApiError.model_json_schema())
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            codes = [400]
            if op.get("security"):
                codes += [401, 403, 429]
            if method in ("post", "put", "patch", "delete"):
                codes.append(409)
            if "{" in path:
                codes.append(404)
            if op.get("parameters") or op.get("requestBody"):
                codes.append(422)
            responses = op.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": REFUSAL_REASONS[code],
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ApiError"}
                            }
                        },
                    },
                )
    return schema
