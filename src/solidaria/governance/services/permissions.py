"""Who may write: shared by every governance service."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from solidaria.core.errors import PermissionDenied
from solidaria.core.permissions import is_steward
from solidaria.governance import queries
from solidaria.governance.models import Cooperative


def require_network_steward(actor: Any) -> None:
    if actor is not None and not is_steward(actor):
        raise PermissionDenied(_("only stewards may do this"))


def require_coop_steward(actor: Any, coop: Cooperative) -> None:
    """`actor=None` is the system itself (demo loader, background tasks)."""
    if actor is not None and not queries.is_coop_steward(actor, coop):
        raise PermissionDenied(_("only the co-op's stewards may do this"))


def acting_user(actor: Any) -> Any:
    """The user to record as author; None when the system acts (no logged-in user)."""
    return actor if getattr(actor, "pk", None) else None
