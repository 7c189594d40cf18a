"""Tell the index when one of our organisations is confirmed, edited or removed, and
when an offer or want is posted, edited or closed.

The directory's and the ledger's services belong to them; rather than have them know about
federation, this receiver only schedules after-commit work (it changes no directory
state), and only when the network registers with an index."""

from __future__ import annotations

from typing import Any

from solidaria.directory.models import Organisation
from solidaria.federation import registration
from solidaria.ledger.models import Listing


def organisation_saved(sender: Any, instance: Organisation, raw: bool = False, **kw: Any) -> None:
    if raw or not registration.is_enabled():
        return
    reg = registration.organisation_changed(instance)
    if reg is not None:
        registration.schedule(reg)


def organisation_deleted(sender: Any, instance: Organisation, **kw: Any) -> None:
    if not registration.is_enabled():
        return
    reg = registration.organisation_changed(instance, is_gone=True)
    if reg is not None:
        registration.schedule(reg)


def listing_saved(sender: Any, instance: Listing, raw: bool = False, **kw: Any) -> None:
    if raw or not registration.is_enabled():
        return
    reg = registration.listing_changed(instance)
    if reg is not None:
        registration.schedule(reg)


def listing_deleted(sender: Any, instance: Listing, **kw: Any) -> None:
    if not registration.is_enabled():
        return
    reg = registration.listing_changed(instance, is_gone=True)
    if reg is not None:
        registration.schedule(reg)
