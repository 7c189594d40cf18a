"""Registering our profile URLs (organisations, the network, offers and wants) with the
Murmurations index the network names
(SOLIDARIA_MURMURATIONS_INDEX_URL): `POST {index}/nodes`, polling `GET
{index}/nodes/{node_id}` until the index says posted or validation_failed, and `DELETE
{index}/nodes/{node_id}` once a profile is gone.

Every step is safe to repeat: the index keys a node by the sha-256 of its URL, so posting
the same URL again re-reads the profile and never makes a second node; a delete of a node
the index no longer knows counts as done. A step that fails (network, 5xx) leaves the row
in `error` with the message and the attempt count; `sync` retries with backoff, a bounded
number of times, and a steward or `solidaria federation register` can retry later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from solidaria.core.audit import record
from solidaria.core.permissions import require
from solidaria.directory.models import Organisation
from solidaria.federation import http, profiles
from solidaria.federation.models import Publication, Registration
from solidaria.ledger.models import Listing

Status = Registration.Status
MAX_ATTEMPTS = 5
FIRST_DELAY = 0.25
MAX_DELAY = 4.0


def index_url() -> str:
    return str(settings.SOLIDARIA.get("MURMURATIONS_INDEX_URL") or "").rstrip("/")


def is_enabled() -> bool:
    return bool(index_url())


def _want(
    *,
    profile_url: str,
    kind: str,
    present: bool,
    organisation: Organisation | None = None,
    listing: Listing | None = None,
) -> Registration:
    """Record what the index should hold for this URL; the row goes back to pending."""
    reg, _created = Registration.objects.get_or_create(
        profile_url=profile_url,
        defaults={"node_id": profiles.node_id(profile_url), "kind": kind},
    )
    reg.is_wanted = present
    reg.status = Status.PENDING
    reg.attempts = 0
    reg.last_error = ""
    reg.reasons = []
    reg.index_url = index_url()
    if organisation is not None:
        reg.organisation = organisation
    if listing is not None:
        reg.listing = listing
    reg.save()
    return reg


def organisation_changed(org: Organisation, *, is_gone: bool = False) -> Registration | None:
    """After an organisation was saved or deleted: what the index should hold for it.
    None when registration is off or there is nothing to tell the index."""
    if not is_enabled() or org.source_network is not None or Publication.withdrawn():
        return None
    return _changed(
        profiles.organisation_url(org.pk),
        Registration.Kind.ORGANISATION,
        present=not is_gone and profiles.is_published(org),
        organisation=None if is_gone else org,
    )


def listing_changed(listing: Listing, *, is_gone: bool = False) -> Registration | None:
    """After an offer or want was saved or deleted: what the index should hold for it (its
    profile while it is active). None when registration is off or there is nothing to tell."""
    if not is_enabled() or Publication.withdrawn():
        return None
    return _changed(
        profiles.listing_url(listing.pk),
        Registration.Kind.OFFERS_WANTS,
        present=not is_gone and profiles.is_listing_published(listing),
        listing=None if is_gone else listing,
    )


def _changed(
    url: str,
    kind: str,
    *,
    present: bool,
    organisation: Organisation | None = None,
    listing: Listing | None = None,
) -> Registration | None:
    """What the index should hold for `url`; None when it is absent and was never told."""
    if not present and not Registration.objects.filter(profile_url=url).exists():
        return None
    return _want(
        profile_url=url,
        kind=kind,
        present=present,
        organisation=organisation,
        listing=listing,
    )


def want_everything() -> list[Registration]:
    """Every confirmed organisation of ours, every active offer and want and the network
    profile, present; every registered one no longer published, absent. Publishes again
    after a leave."""
    Publication.set_withdrawn(False)
    regs = [_want(profile_url=profiles.network_url(), kind=Registration.Kind.NETWORK, present=True)]
    published = Organisation.objects.filter(
        status=Organisation.Status.CONFIRMED, source_network__isnull=True
    ).order_by("pk")
    urls = set()
    for org in published.iterator():
        url = profiles.organisation_url(org.pk)
        urls.add(url)
        regs.append(
            _want(
                profile_url=url,
                kind=Registration.Kind.ORGANISATION,
                present=True,
                organisation=org,
            )
        )
    for listing in Listing.objects.filter(is_active=True).order_by("pk").iterator():
        url = profiles.listing_url(listing.pk)
        urls.add(url)
        regs.append(
            _want(
                profile_url=url,
                kind=Registration.Kind.OFFERS_WANTS,
                present=True,
                listing=listing,
            )
        )
    stale = Registration.objects.filter(
        kind__in=[Registration.Kind.ORGANISATION, Registration.Kind.OFFERS_WANTS],
        is_wanted=True,
    ).exclude(profile_url__in=urls)
    for reg in stale:
        regs.append(
            _want(profile_url=reg.profile_url, kind=reg.kind, present=False, organisation=None)
        )
    return regs


def _errors_of(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return []
    out = []
    for err in answer.get("errors") or []:
        if isinstance(err, dict):
            source = err.get("source")
            pointer = str(source.get("pointer") or "") if isinstance(source, dict) else ""
            text = str(err.get("detail") or err.get("title") or "")
            out.append(f"{pointer}: {text}" if pointer else text)
    return out


def _fail(reg: Registration, message: str) -> None:
    reg.status = Status.ERROR
    reg.last_error = message[:2000]


def step(reg: Registration) -> Registration:
    """One round with the index for this row; saves and returns it."""
    base = reg.index_url or index_url()
    reg.index_url = base
    reg.attempts += 1
    try:
        if not base:
            _fail(reg, "no index is configured (SOLIDARIA_MURMURATIONS_INDEX_URL)")
        elif reg.is_wanted:
            _post_and_poll(reg, base)
        else:
            _delete(reg, base)
    except http.FetchError as exc:
        _fail(reg, str(exc))
    reg.save()
    return reg


def _post_and_poll(reg: Registration, base: str) -> None:
    if reg.status in (Status.PENDING, Status.ERROR, Status.DELETED):
        answer = http.call("POST", f"{base}/nodes", {"profile_url": reg.profile_url})
        if answer.status != 200:
            reasons = _errors_of(answer.json())
            if 400 <= answer.status < 500 and reasons:
                reg.status, reg.reasons = Status.VALIDATION_FAILED, reasons
                return
            _fail(reg, f"the index answered {answer.status} to POST /nodes")
            return
        body = answer.json()
        data = body.get("data") if isinstance(body, dict) else None
        node_id = data.get("node_id") if isinstance(data, dict) else None
        reg.node_id = str(node_id)[:64] if isinstance(node_id, str) and node_id else reg.node_id
        reg.status, reg.last_error = Status.RECEIVED, ""
    answer = http.call("GET", f"{base}/nodes/{reg.node_id}")
    body = answer.json()
    if answer.status == 200 and isinstance(body, dict):
        data = body.get("data")
        if not isinstance(data, dict):
            data = {}
        state = str(data.get("status") or "")
        if isinstance(data.get("last_updated"), int):
            reg.last_updated = data["last_updated"]
        if state == "posted":
            reg.status, reg.reasons, reg.last_error = Status.POSTED, [], ""
        elif state == "deleted":  # the index lost it: post again on the next round
            reg.status = Status.PENDING
        elif state == "validation_failed":
            reg.status, reg.reasons = Status.VALIDATION_FAILED, _errors_of(body)
        else:  # received, validated, post_failed: the index is still working
            reg.status = Status.RECEIVED
        return
    reasons = _errors_of(body)
    if answer.status in (400, 404) and isinstance(body, dict) and body.get("meta"):
        reg.status, reg.reasons = Status.VALIDATION_FAILED, reasons
    elif answer.status == 404:  # the index does not know the node (yet): post again
        reg.status = Status.PENDING
    else:
        _fail(reg, f"the index answered {answer.status} to GET /nodes/{reg.node_id}")


def _delete(reg: Registration, base: str) -> None:
    answer = http.call("DELETE", f"{base}/nodes/{reg.node_id}")
    if answer.status in (200, 404):
        reg.status, reg.reasons, reg.last_error = Status.DELETED, [], ""
    else:
        reasons = _errors_of(answer.json())
        _fail(reg, "; ".join(reasons) or f"the index answered {answer.status} to DELETE")


def sync(
    registration_id: int,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Registration:
    """Step until a final state or `max_attempts` rounds, waiting longer each time."""
    delay = FIRST_DELAY
    reg = Registration.objects.get(pk=registration_id)
    for attempt in range(max_attempts):
        reg = step(reg)
        if reg.is_final:
            break
        if attempt + 1 < max_attempts:
            sleep(delay)
            delay = min(MAX_DELAY, delay * 2)
    return reg


def schedule(reg: Registration) -> None:
    """Sync this row in the task backend once the caller's transaction commits."""
    from solidaria.federation.tasks import sync_registration

    pk = reg.pk
    transaction.on_commit(lambda: sync_registration.enqueue(pk))


def unsettled() -> list[Registration]:
    """Rows not in the state we want (refused ones included), back to pending: what
    `solidaria federation register` without --all sends again."""
    regs = list(
        Registration.objects.exclude(status__in=[Status.POSTED, Status.DELETED]).order_by("pk")
    )
    for reg in regs:
        reg.status, reg.attempts, reg.last_error, reg.reasons = Status.PENDING, 0, "", []
        reg.save()
    return regs


def retry(*, actor: Any, registration_id: int) -> Registration:
    """A steward sends a profile again (whatever its state)."""
    require(actor, "federation.registration.retry")
    with transaction.atomic():
        reg = Registration.objects.select_for_update().get(pk=registration_id)
        reg.status, reg.attempts, reg.last_error = Status.PENDING, 0, ""
        reg.save()
        record(actor=actor, verb="federation.registration.retry", obj=reg)
        schedule(reg)
    return reg


def summary(regs: list[Registration]) -> dict[str, int]:
    """{"posted", "failed", "pending"} as the CLI reports them (deleted counts as posted:
    the index holds what we want)."""
    out = {"posted": 0, "failed": 0, "pending": 0}
    for reg in regs:
        if reg.status in (Status.POSTED, Status.DELETED):
            out["posted"] += 1
        elif reg.status in (Status.VALIDATION_FAILED, Status.ERROR):
            out["failed"] += 1
        else:
            out["pending"] += 1
    return out


def withdraw_everything() -> list[Registration]:
    """Stop publishing (profile URLs answer 404) and want every registered URL absent."""
    Publication.set_withdrawn(True)
    return [
        _want(profile_url=reg.profile_url, kind=reg.kind, present=False)
        for reg in Registration.objects.filter(is_wanted=True).order_by("pk")
    ]


def settle(regs: list[Registration], *, timeout: float, wait: bool) -> list[Registration]:
    """One round for each row; with `wait`, more rounds for those not final, with
    backoff, until every one is final or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    regs = [step(reg) for reg in regs]
    delay = FIRST_DELAY
    while wait and time.monotonic() < deadline:
        open_ones = [r for r in regs if not r.is_final and r.attempts < 10 * MAX_ATTEMPTS]
        if not open_ones:
            break
        time.sleep(delay)
        delay = min(MAX_DELAY, delay * 2)
        done = {r.pk: step(r) for r in open_ones}
        regs = [done.get(r.pk, r) for r in regs]
    return regs
