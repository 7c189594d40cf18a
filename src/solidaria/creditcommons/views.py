"""The signed protocol endpoints neighbours call, and the stewards' page of links."""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from solidaria.core.errors import DomainError
from solidaria.core.permissions import steward_required
from solidaria.creditcommons import afterwards, engine, nonces, services
from solidaria.creditcommons.models import Link, RemoteTransaction, State

OPERATIONS = {"validate", "commit", "erase", "status", "handshake"}


def _refuse(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"reason": reason}, status=status)


@csrf_exempt
@require_POST
def protocol(request: HttpRequest, op: str) -> JsonResponse:
    """One message from a neighbour network, signed with the link's shared secret."""
    if op not in OPERATIONS:
        return _refuse(404, _("There is no such operation."))
    slug = request.headers.get("X-CC-Node", "")
    # the slug is unique: no ordering to build (`first()` would add one)
    found = list(
        Link.objects.select_related("currency", "account").filter(slug=slug).order_by()[:1]
    )
    link = found[0] if found else None
    if link is None or not link.is_active:
        return _refuse(403, _("This network has no link with the sender."))
    nonce = request.headers.get("X-CC-Nonce", "")
    if not nonce or len(nonce) > nonces.MAX_LENGTH:
        return _refuse(403, _("The message has no single-use nonce."))
    ok = engine.signature_ok(
        link.secret,
        request.method or "POST",
        request.path,
        request.headers.get("X-CC-Timestamp", ""),
        request.body,
        request.headers.get("X-CC-Signature", ""),
        now=time.time(),
        sender=slug,
        nonce=nonce,
    )
    if not ok:
        return _refuse(403, _("The signature is missing, wrong or too old."))
    # after the signature: only the neighbour can spend a nonce; the handshake's durably
    if not nonces.claim(link, nonce, durable=op == "handshake"):
        return _refuse(409, _("This message was received before: a replayed message is refused."))
    try:
        message = json.loads(request.body.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        return _refuse(400, _("The message is not JSON."))
    if not isinstance(message, dict):
        return _refuse(400, _("The message is not a JSON object."))
    with afterwards.deferred() as jobs:
        try:
            return afterwards.AnswerThen(services.handle(link, op, message), jobs)
        except DomainError as exc:
            afterwards.run(jobs)
            return _refuse(exc.status_code if 400 <= exc.status_code < 500 else 400, exc.message)
        except BaseException:
            afterwards.run(jobs)  # what committed before the failure is still told
            raise


@steward_required
def links(request: HttpRequest) -> HttpResponse:
    rows: list[dict[str, Any]] = []
    for link in Link.objects.select_related("currency", "account").order_by("role", "slug"):
        rows.append(
            {
                "link": link,
                "balance": link.currency.format(link.account.balance),
                "reserved": link.currency.format(link.account.reserved),
                "limit": (
                    link.currency.format(link.account.credit_limit)
                    if link.account.credit_limit is not None
                    else None
                ),
                "entries": link.entries.count(),
                "unfinished": services._unfinished(link).count(),
            }
        )
    recent = RemoteTransaction.objects.exclude(payer_address="").order_by("-id")[:50]
    return render(
        request,
        "creditcommons/links.html",
        {
            "rows": rows,
            "recent": recent,
            "slug": services.my_slug(),
            "unfinished_states": (State.INITIATED, State.VALIDATED),
        },
    )


@steward_required
@require_POST
def link_handshake(request: HttpRequest, slug: str) -> HttpResponse:
    link = get_object_or_404(Link, slug=slug)
    problems = services.handshake(link)
    if problems:
        for problem in problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("The link with %(slug)s is in step.") % {"slug": slug})
    return redirect("creditcommons:links")


@steward_required
@require_POST
def link_unfreeze(request: HttpRequest, slug: str) -> HttpResponse:
    get_object_or_404(Link, slug=slug)
    try:
        services.link_unfreeze(actor=request.user, slug=slug, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("creditcommons:links")
    messages.success(request, _("The link with %(slug)s carries payments again.") % {"slug": slug})
    return redirect("creditcommons:links")
