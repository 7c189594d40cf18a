"""Aggregating other networks' profiles: page through an index's search with the
subscription's filters, fetch each profile (size cap, timeout, public addresses only),
validate it against organizations_schema, and keep a directory entry for it with its
provenance ("from network X, fetched at ...").

A profile whose `last_updated` at the index has not moved is not fetched again. A node
the index reports deleted, or a profile URL that answers 404/410, removes the entry. New
entries wait for a steward unless the subscription approves them automatically; an
approved entry stays approved when its source changes; a rejected one stays rejected.
Only a complete pass through the search removes entries the index no longer lists.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core.audit import record
from solidaria.core.errors import Conflict, NotFound, ValidationFailed, required_reason
from solidaria.core.permissions import SYSTEM, require
from solidaria.directory import clustering
from solidaria.directory.importers.cleaning import dedupe_domain, name_key, normalise_country
from solidaria.directory.models import Organisation, Provenance
from solidaria.federation import http, profiles
from solidaria.federation.models import FederatedProfile, Subscription

Approval = FederatedProfile.Approval
SOURCE = "federation"
PAGE_SIZE = 100
MAX_PAGES = 100  # the index returns at most 10,000 results per search
MAX_PROFILE_BYTES = 200_000
MAX_URL = 500  # FederatedProfile.profile_url
PROFILE_TIMEOUT = 10.0


def subscribe(
    *,
    actor: Any,
    index_url: str,
    network_name: str,
    schema: str = "",
    country: str = "",
    tags: list[str] | None = None,
    is_auto_approved: bool = False,
) -> Subscription:
    require(actor, "federation.subscription.manage")
    index_url = index_url.strip().rstrip("/")
    if not index_url.startswith(("http://", "https://")):
        raise ValidationFailed(_("The index must be an http(s) address."), field="index")
    network_name = network_name.strip()
    if not network_name:
        raise ValidationFailed(_("Name the network these profiles come from."), field="name")
    code = ""
    if country.strip():
        code = normalise_country(country.strip()) or ""
        if not code:
            raise ValidationFailed(_("This country is unknown."), field="country")
    tags = [t.strip() for t in tags or [] if t.strip()]
    schema = schema.strip() or "organizations_schema-v1.0.0"
    same = Subscription.objects.filter(
        index_url=index_url,
        network_name=network_name[:200],
        schema=schema,
        country=code,
        is_active=True,
    )
    for existing in same:  # subscribing twice to the same thing is one subscription
        if existing.tags == tags and existing.is_auto_approved == is_auto_approved:
            return existing
    with transaction.atomic():
        sub = Subscription.objects.create(
            index_url=index_url,
            network_name=network_name[:200],
            schema=schema,
            country=code,
            tags=tags,
            is_auto_approved=is_auto_approved,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        record(actor=actor, verb="federation.subscription.create", obj=sub)
    return sub


def _search_url(sub: Subscription, page: int) -> str:
    query: list[tuple[str, str]] = [("schema", sub.schema)]
    if sub.country:
        query.append(("country", sub.country))
    if sub.tags:
        query.append(("tags", ",".join(sub.tags)))
    query += [("page", str(page)), ("page_size", str(PAGE_SIZE))]
    return f"{sub.index_url}/nodes?{urlencode(query)}"


def _fields(profile: dict[str, Any]) -> dict[str, Any]:
    """Directory fields of an organizations_schema profile (validated already)."""
    geo = profile.get("geolocation") or {}
    contact = profile.get("contact_details") or {}
    tags = [str(t)[:100] for t in profile.get("tags") or [] if str(t).strip()][:50]
    lat, lon = geo.get("lat"), geo.get("lon")
    located = (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )
    website = str(profile.get("primary_url") or "")
    if website and not website.startswith(("http://", "https://")):
        website = "https://" + website
    return {
        "name": str(profile.get("name") or "")[:300],
        "description": str(profile.get("description") or "")[:10_000],
        "website": website[:500],
        "email": str(contact.get("email") or "")[:254],
        "phone": str(profile.get("telephone") or "")[:64],
        "street_address": str(profile.get("full_address") or "")[:300],
        "country": str(profile.get("country_iso_3166") or "")[:2].upper(),
        "latitude": float(lat) if located else None,
        "longitude": float(lon) if located else None,
        "tags": tags,
    }


def _place(org: Organisation) -> tuple[str, float | None, float | None]:
    return (org.status, org.latitude, org.longitude)


def _remove(fp: FederatedProfile, *, why: str) -> None:
    """The source no longer has this profile: the entry goes (it was never ours)."""
    with transaction.atomic():
        fp = FederatedProfile.objects.select_for_update().get(pk=fp.pk)
        org = fp.organisation
        if org is not None:
            clustering.adjust(org_id=org.pk, before=_place(org), after=("removed", None, None))
            org.delete()
        fp.organisation = None
        fp.approval = Approval.REMOVED
        fp.reason = why
        fp.save()
        record(actor=SYSTEM, verb="federation.profile.remove", obj=fp, reason=why)


def _upsert(sub: Subscription, url: str, last_updated: int | None, counts: dict[str, int]) -> None:
    fp = FederatedProfile.objects.filter(profile_url=url).first()
    if fp is not None and fp.subscription_id != sub.pk:
        counts["skipped"] += 1  # another subscription already brings this profile
        return
    if (
        fp is not None
        and fp.approval != Approval.REMOVED
        and last_updated is not None
        and fp.source_last_updated == last_updated
    ):
        counts["unchanged"] += 1
        return
    try:
        answer = http.fetch_profile(url, timeout=PROFILE_TIMEOUT, max_bytes=MAX_PROFILE_BYTES)
    except http.FetchError:
        counts["errors"] += 1
        return
    if answer.status in (404, 410):
        if fp is not None and fp.approval != Approval.REMOVED:
            _remove(fp, why=f"the profile URL answers {answer.status}")
            counts["removed"] += 1
        return
    profile = answer.json() if answer.status == 200 else None
    if not isinstance(profile, dict) or profiles.profile_errors(profile):
        counts["invalid"] += 1
        return
    try:  # a lone surrogate cannot be encoded, a NUL cannot be stored (PostgreSQL)
        text = json.dumps(profile, sort_keys=True, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        text = b"\\u0000"
    if b"\\u0000" in text:
        counts["invalid"] += 1
        return
    digest = hashlib.sha256(text).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        fp = FederatedProfile.objects.select_for_update().filter(profile_url=url).first()
        if fp is not None and fp.profile_hash == digest and fp.organisation_id is not None:
            fp.fetched_at, fp.source_last_updated = now, last_updated
            fp.save(update_fields=["fetched_at", "source_last_updated"])
            counts["unchanged"] += 1
            return
        values = _fields(profile)
        is_new = fp is None or fp.approval == Approval.REMOVED
        org = fp.organisation if fp is not None else None
        if org is None:
            org = Organisation(source_network=sub.network_name)
        before = _place(org) if org.pk else ("new", None, None)
        for key, value in values.items():
            setattr(org, key, value)
        org.source_network = sub.network_name
        org.name_key = name_key(org.name)
        org.web_domain = dedupe_domain(org.website)
        if is_new:
            approved = sub.is_auto_approved
            org.status = Organisation.Status.CONFIRMED if approved else Organisation.Status.PROPOSED
        org.save()
        clustering.adjust(org_id=org.pk, before=before, after=_place(org))
        Provenance.objects.update_or_create(
            source=SOURCE,
            source_id=url[:255],
            defaults={
                "organisation": org,
                "imported_at": now,
                "is_primary": True,
                "fingerprint": digest,
            },
        )
        if fp is None:
            fp = FederatedProfile(subscription=sub, profile_url=url)
        if is_new:
            fp.approval = Approval.APPROVED if sub.is_auto_approved else Approval.PENDING
            fp.reason, fp.decided_by, fp.decided_at = (
                "",
                None,
                now if sub.is_auto_approved else None,
            )
        fp.organisation = org
        fp.fetched_at, fp.source_last_updated, fp.profile_hash = now, last_updated, digest
        fp.save()
        record(
            actor=SYSTEM,
            verb="federation.profile.create" if is_new else "federation.profile.update",
            obj=fp,
            data={"network": sub.network_name, "organisation": org.pk},
        )
        counts["created" if is_new else "updated"] += 1


def run(sub: Subscription) -> dict[str, int]:
    """One pass of this subscription; returns counts of what happened."""
    counts = dict.fromkeys(
        ("seen", "created", "updated", "unchanged", "removed", "invalid", "skipped", "errors"),
        0,
    )
    own = profiles.public_url() + "/"
    seen: set[str] = set()
    complete = False
    for page in range(1, MAX_PAGES + 1):
        try:
            answer = http.call("GET", _search_url(sub, page))
        except http.FetchError:
            counts["errors"] += 1
            break
        body = answer.json()
        if answer.status != 200 or not isinstance(body, dict):
            counts["errors"] += 1
            break
        data, meta = body.get("data") or [], body.get("meta") or {}
        if not isinstance(data, list) or not isinstance(meta, dict):
            counts["errors"] += 1
            break
        nodes = [n for n in data if isinstance(n, dict)]
        for node in nodes:
            url = str(node.get("profile_url") or "")
            if not url.startswith(("http://", "https://")) or url.startswith(own):
                continue  # our own profiles come back from a shared index: skip them
            if len(url) > MAX_URL:
                counts["invalid"] += 1
                continue
            seen.add(url)
            counts["seen"] += 1
            last = node.get("last_updated")
            if node.get("status") == "deleted":
                fp = FederatedProfile.objects.filter(profile_url=url, subscription=sub).first()
                if fp is not None and fp.approval != Approval.REMOVED:
                    _remove(fp, why="the index reports the node deleted")
                    counts["removed"] += 1
                continue
            _upsert(sub, url, last if isinstance(last, int) else None, counts)
        pages = meta.get("total_pages")
        if not nodes or not isinstance(pages, int) or page >= pages:
            complete = True
            break
    if complete:  # entries the index no longer lists: gone if their URL says so
        missing = FederatedProfile.objects.filter(subscription=sub).exclude(
            approval=Approval.REMOVED
        )
        for fp in missing.exclude(profile_url__in=seen):
            _upsert(sub, fp.profile_url, None, counts)
    Subscription.objects.filter(pk=sub.pk).update(last_run_at=timezone.now(), last_run=counts)
    return counts


def run_subscription(subscription_id: int) -> dict[str, int]:
    sub = Subscription.objects.filter(pk=subscription_id, is_active=True).first()
    if sub is None:
        raise NotFound(_("There is no such active subscription."))
    return run(sub)


def run_all() -> dict[str, dict[str, int]]:
    return {
        str(sub.pk): run(sub) for sub in Subscription.objects.filter(is_active=True).order_by("pk")
    }


def decide(*, actor: Any, profile_id: int, decision: str, reason: str = "") -> FederatedProfile:
    """A steward approves a federated entry (it joins the directory) or rejects it with
    a reason (it stays out while its source keeps it)."""
    require(actor, "federation.profile.decide")
    if decision not in ("approve", "reject"):
        raise ValidationFailed(_("The decision must be approve or reject."), field="decision")
    reason = reason.strip()
    if decision == "reject":
        reason = required_reason(reason)
    with transaction.atomic():
        fp = FederatedProfile.objects.select_for_update().filter(pk=profile_id).first()
        if fp is None or fp.organisation is None:
            raise NotFound(_("There is no such federated entry."))
        if fp.approval != Approval.PENDING:
            raise Conflict(_("This entry was already decided."))
        org = Organisation.objects.select_for_update().get(pk=fp.organisation_id)
        before = _place(org)
        org.status = (
            Organisation.Status.CONFIRMED if decision == "approve" else Organisation.Status.REJECTED
        )
        org.save(update_fields=["status", "updated_at"])
        clustering.adjust(org_id=org.pk, before=before, after=_place(org))
        fp.approval = Approval.APPROVED if decision == "approve" else Approval.REJECTED
        fp.reason, fp.decided_at = reason, timezone.now()
        fp.decided_by = actor if getattr(actor, "pk", None) else None
        fp.save()
        record(actor=actor, verb=f"federation.profile.{decision}", obj=fp, reason=reason)
    return fp


def unsubscribe(*, actor: Any, subscription_id: int) -> int:
    """Stop a subscription and remove every entry it brought; returns how many."""
    require(actor, "federation.subscription.manage")
    sub = Subscription.objects.filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound(_("There is no such subscription."))
    removed = 0
    for fp in sub.profiles.exclude(approval=Approval.REMOVED):
        _remove(fp, why="the network unsubscribed")
        removed += 1
    with transaction.atomic():
        sub.is_active = False
        sub.save(update_fields=["is_active"])
        record(actor=actor, verb="federation.subscription.end", obj=sub, data={"removed": removed})
    return removed
