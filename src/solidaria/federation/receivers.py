"""Tell the index when one of our organisations is confirmed, edited or removed.

The directory's services belong to the directory; rather than have them know about
federation, this receiver only schedules after-commit work (it changes no directory
state), and only when the network registers with an index."""

from __future__ import annotations

from typing import Any

from solidaria.directory.models import Organisation
from solidaria.federation import registration


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
