"""The server error page, and 503 while the database cannot be reached.

Django calls `server_error` (the project's handler500) for any exception nothing else
handled, from a view, the API or a middleware. When that exception says the database is
unreachable (PostgreSQL restarting, a dropped connection), the answer is 503 with a
sentence and a Retry-After header, never a traceback: nothing was written (the request's
transaction could not commit), so the client may safely retry, with the same idempotency
key for a payment. The page is rendered without the request's context processors: they
would read the session or the user from the very database that is down.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 5


def database_unreachable(exc: BaseException | None) -> bool:
    """True for the errors a lost or refused database connection raises."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_message() -> str:
    return _(
        "The database cannot be reached for a moment; nothing you sent was stored. "
        "Please try again in a few seconds."
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if not database_unreachable(sys.exc_info()[1]):
        return HttpResponse(loader.get_template("500.html").render(), status=500)
    message = unavailable_message()
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
