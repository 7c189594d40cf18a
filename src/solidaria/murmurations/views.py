"""The index's protocol endpoints (`/index/v2/...`, JSON, no CSRF) and the steward page.

The protocol endpoints answer with the Murmurations index's own bodies and status codes;
bad input of any kind (bad JSON, wrong types, huge values) is a 4xx with a reason.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from solidaria.core import throttle
from solidaria.core.errors import TooManyAttempts
from solidaria.core.permissions import require, steward_required
from solidaria.murmurations import fetching, services
from solidaria.murmurations.library import error
from solidaria.murmurations.models import Node

MAX_BODY_BYTES = 1_000_000
# POST /nodes-sync fetches while its caller waits: every call counts against this
# throttle scope (SOLIDARIA_THROTTLES), and a caller has one such fetch at a time
SYNC_SCOPE = "murmurations_sync"


def _answer(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status)


def _refuse(status: int, title: str, detail: str) -> JsonResponse:
    return _answer(status, {"errors": [error(status, title, detail)]})


def _methods(*allowed: str) -> Callable[[Callable[..., JsonResponse]], Callable[..., HttpResponse]]:
    def wrap(view: Callable[..., JsonResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = _refuse(
                    405, "Method Not Allowed", f"Use {' or '.join(allowed)} on this endpoint."
                )
                response["Allow"] = ", ".join(allowed)
                return response
            return view(request, *args, **kwargs)

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner

    return wrap


class _BadBody(Exception):
    def __init__(self, response: JsonResponse) -> None:
        super().__init__()
        self.response = response


def _json_body(request: HttpRequest) -> Any:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _BadBody(
            _refuse(413, "Request Too Large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
        ) from None
    if len(raw) > MAX_BODY_BYTES:
        raise _BadBody(
            _refuse(413, "Request Too Large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _BadBody(
            _refuse(400, "JSON Error", "The JSON document submitted could not be parsed.")
        ) from None


@_methods("GET")
def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong!", content_type="text/plain")


@_methods("GET", "POST")
def nodes(request: HttpRequest) -> JsonResponse:
    """POST: add (or refresh) a node by its profile URL; GET: search the posted nodes."""
    if request.method == "GET":
        params = {k: request.GET.get(k, "") for k in request.GET}
        self_url = request.build_absolute_uri(request.path)
        return _answer(*services.search(params, self_url))
    url = _profile_url(request)
    if isinstance(url, JsonResponse):
        return url
    if not _fetches_in_request():
        return _answer(*services.post_node(url))
    # the task backend fetches inside this request: the same bounds as nodes-sync
    return _bounded(request, lambda: services.post_node(url))


def _fetches_in_request() -> bool:
    """Whether the task backend runs a queued fetch inside the request that queued it."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ImmediateBackend)


def _profile_url(request: HttpRequest) -> str | JsonResponse:
    """The posted body's `profile_url`, or the protocol's refusal."""
    try:
        body = _json_body(request)
    except _BadBody as exc:
        return exc.response
    url = body.get("profile_url") if isinstance(body, dict) else None
    if url is None or url == "":
        return _refuse(400, "Missing Required Property", "The `profile_url` property is required.")
    if not isinstance(url, str):
        return _refuse(400, "Invalid Profile URL", "The `profile_url` is not a valid URL.")
    problem = fetching.url_problem(url)
    if problem:
        return _refuse(
            400, "Invalid Profile URL", f"The `profile_url` is not a valid URL. {problem}"
        )
    return url


@contextmanager
def sync_slot(client: str) -> Iterator[bool]:
    """Whether `client` may start a synchronous fetch now: one at a time per address.

    The slot lives in the cache (shared between server processes when the cache is), and
    expires by itself a little after the fetch deadline should a process die holding it."""
    key = "murmurations:sync-slot:" + hashlib.sha256(client.encode()).hexdigest()[:32]
    held = cache.add(key, 1, timeout=math.ceil(fetching.TOTAL_DEADLINE) + 10)
    try:
        yield held
    finally:
        if held:
            cache.delete(key)


def _too_many(detail: str, retry_after: int) -> JsonResponse:
    response = _refuse(429, "Too Many Requests", detail)
    response["Retry-After"] = str(retry_after)
    return response


@_methods("POST")
def nodes_sync(request: HttpRequest) -> JsonResponse:
    """Add (or refresh) a node and answer once it is fetched and validated.

    The fetch holds a server process for up to the fetch deadline, so one caller may
    have one at a time and at most the `murmurations_sync` throttle's number a window."""
    url = _profile_url(request)
    if isinstance(url, JsonResponse):
        return url
    return _bounded(request, lambda: services.post_node_sync(url))


def _bounded(request: HttpRequest, post: Callable[[], tuple[int, services.Body]]) -> JsonResponse:
    """`post()` (a post fetched while its caller waits) under the nodes-sync bounds: one at
    a time per address and the `murmurations_sync` throttle's number a window."""
    client = throttle.client_address(request)
    refused = _sync_refusal(client)
    if refused is not None:
        return refused
    with sync_slot(client) as held:
        if not held:
            return _one_at_a_time()
        throttle.fail(SYNC_SCOPE, client)  # every synchronous fetch counts
        return _answer(*post())


def _sync_refusal(client: str) -> JsonResponse | None:
    """The 429 when `client` used up the `murmurations_sync` throttle's window, else None."""
    try:
        throttle.check(SYNC_SCOPE, client)
    except TooManyAttempts as exc:
        return _too_many(
            "Too many posts fetched while waiting from this address: "
            f"try again in {exc.retry_after} seconds.",
            exc.retry_after,
        )
    return None


def _one_at_a_time() -> JsonResponse:
    return _too_many(
        "Posts fetched while waiting are fetched one at a time per address: "
        "wait for the previous one.",
        math.ceil(fetching.TOTAL_DEADLINE),
    )


@_methods("GET", "DELETE")
def node(request: HttpRequest, node_id: str) -> JsonResponse:
    """GET: the node's status (or why it failed); DELETE: remove it once its profile is gone."""
    if request.method == "DELETE":
        return _answer(*services.delete(node_id))
    return _answer(*services.status(node_id))


@_methods("POST")
def validate(request: HttpRequest) -> JsonResponse:
    """Validate a profile body against its linked schemas, without storing anything."""
    try:
        body = _json_body(request)
    except _BadBody as exc:
        return exc.response
    return _answer(*services.validate(body))


@steward_required
def steward_nodes(request: HttpRequest) -> HttpResponse:
    """Stewards: every node of this index, with its status and failure reasons."""
    require(request.user, "murmurations.node.list")
    chosen = request.GET.get("status", "")
    found = Node.objects.order_by("-received_at", "node_id")
    if chosen in Node.Status.values:
        found = found.filter(status=chosen)
    else:
        chosen = ""
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    counts = {s: Node.objects.filter(status=s).count() for s in Node.Status.values}
    statuses = [(value, label, counts[value]) for value, label in Node.Status.choices]
    return render(
        request,
        "murmurations/nodes.html",
        {"page": page, "chosen": chosen, "statuses": statuses, "total": sum(counts.values())},
    )
