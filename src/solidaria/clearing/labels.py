"""What clearing pages call the engine's methods; the codes stay in runs and the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ENGINE_NAMES = {
    "mcf-1": _("set-off by minimum-cost flow (first version)"),
}


def engine_name(code: str) -> str:
    return str(ENGINE_NAMES.get(code, _("set-off engine %(code)s") % {"code": code}))
