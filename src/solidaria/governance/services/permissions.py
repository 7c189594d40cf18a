"""Who may write in governance: the registry's rules (core/permissions.py), asked here.

The platform itself (demo loader, jobs) acts as `core.permissions.SYSTEM`, never `None`.
"""

from __future__ import annotations

from typing import Any

from solidaria.core.permissions import require
from solidaria.governance.models import Cooperative


def require_network_steward(actor: Any) -> None:
    require(actor, "governance.coop.create")


def require_coop_steward(actor: Any, coop: Cooperative) -> None:
    require(actor, "governance.coop.steward", coop)


def acting_user(actor: Any) -> Any:
    """The user to record as author; None when the platform (SYSTEM) acts."""
    return actor if getattr(actor, "pk", None) else None
